using System.Net.Http.Headers;
using VppPS.Engine.Apple;

namespace VppPS.Engine.Tests.Apple;

public class AppleClientRetryTests
{
    private static HttpResponseMessage Ok(RecordedRequest _) => ScriptedHandler.Json(200, AppleSamples.ClientConfig);

    [Fact]
    public async Task A_503_with_retry_after_seconds_waits_that_long()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config",
            _ => ScriptedHandler.Json(503, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(120))),
            Ok);

        var config = await apple.Client().GetClientConfigAsync();

        Assert.Equal("PS01", config.LocationName);
        Assert.Equal(2, apple.Handler.Count("client/config"));
        Assert.Contains(TimeSpan.FromSeconds(120), apple.Time.Delays);
    }

    [Fact]
    public async Task A_retry_after_http_date_is_honoured()
    {
        var apple = new TestApple();
        var at = apple.Clock.UtcNow.AddSeconds(90);
        apple.Handler.On("client/config",
            _ => ScriptedHandler.Error(500, 9603).Also(r => r.Headers.RetryAfter = new RetryConditionHeaderValue(at)),
            Ok);

        await apple.Client().GetClientConfigAsync();

        Assert.Contains(TimeSpan.FromSeconds(90), apple.Time.Delays);
    }

    [Fact]
    public async Task A_long_retry_after_is_capped_and_said_so()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config",
            _ => ScriptedHandler.Json(503, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromHours(2))),
            Ok);

        await apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetryAfter = TimeSpan.FromMinutes(5) }).GetClientConfigAsync();

        Assert.Contains(TimeSpan.FromMinutes(5), apple.Time.Delays);
        Assert.DoesNotContain(TimeSpan.FromHours(2), apple.Time.Delays);
        Assert.Contains(apple.Observer.VerboseLines, l => l.Contains("7200 s") && l.Contains("maximum of 300 s"));
    }

    [Fact]
    public async Task Too_many_requests_backs_off_then_succeeds()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Error(429, 9646), _ => ScriptedHandler.Error(429, 9646), Ok);

        await apple.Client().GetClientConfigAsync();

        Assert.Equal(3, apple.Handler.Count("client/config"));
        Assert.True(apple.Time.Delays.Count(d => d > TimeSpan.Zero) >= 2);
        Assert.Equal(2, apple.Observer.VerboseLines.Count(l => l.StartsWith("Retrying GET /mdm/v2/client/config") && l.Contains("9646")));
    }

    [Fact]
    public async Task Too_many_requests_after_every_retry_is_rate_limited()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Error(200, 9646));

        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 3 }).GetClientConfigAsync());

        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleRateLimited", 9646), (error.Kind, error.ErrorId, error.AppleErrorNumber));
        Assert.Equal(4, apple.Handler.Count("client/config"));
    }

    [Fact]
    public async Task Five_internal_errors_in_a_row_stop_the_retries()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Error(500, 9603, "Internal error"));

        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 10 }).GetClientConfigAsync());

        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleInternalError", 9603), (error.Kind, error.ErrorId, error.AppleErrorNumber));
        Assert.Contains("5 internal errors in a row", error.Message);
        Assert.Contains("few minutes", error.Message);
        Assert.Equal(5, apple.Handler.Count("client/config"));
    }

    [Fact]
    public async Task An_internal_error_streak_is_broken_by_another_answer()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config",
            _ => ScriptedHandler.Error(500, 9603), _ => ScriptedHandler.Error(500, 9603), _ => ScriptedHandler.Error(500, 9603),
            _ => ScriptedHandler.Error(500, 9603), _ => ScriptedHandler.Json(502, "bad gateway"),
            _ => ScriptedHandler.Error(500, 9603), Ok);

        await apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 10 }).GetClientConfigAsync();

        Assert.Equal(7, apple.Handler.Count("client/config"));
    }

    [Fact]
    public async Task A_5xx_without_body_after_every_retry_is_service_unavailable()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(503, "<html>down</html>"));

        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 2 }).GetClientConfigAsync());

        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleUnavailable"), (error.Kind, error.ErrorId));
        Assert.Equal(3, apple.Handler.Count("client/config"));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"locationName":"PS01","countryISO2ACode":"U""")] // cut short
    [InlineData("")]
    public async Task An_unreadable_200_answer_is_retried_like_a_5xx(string body)
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(200, body), Ok);

        var config = await apple.Client().GetClientConfigAsync();

        Assert.Equal("PS01", config.LocationName);
        Assert.Equal(2, apple.Handler.Count("client/config"));
        Assert.Contains(apple.Observer.VerboseLines, l => l.StartsWith("Retrying GET /mdm/v2/client/config") && l.Contains("could not be read"));
    }

    [Fact]
    public async Task An_answer_unreadable_after_every_retry_is_service_unavailable()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(200, "<html>gateway</html>"));

        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 2 }).GetClientConfigAsync());

        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleBadResponse"), (error.Kind, error.ErrorId));
        Assert.Contains("Try again later", error.Message);
        Assert.Equal(3, apple.Handler.Count("client/config"));
    }

    [Fact]
    public async Task Six_503_answers_in_a_row_are_reported_as_an_outage()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Error(503, 9729, "The service is temporarily unavailable. Please try again later."));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().GetClientConfigAsync());

        Assert.Equal(6, apple.Handler.Count("client/config")); // the first answer and five retries
        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleUnavailable", 9729), (error.Kind, error.ErrorId, error.AppleErrorNumber));
        Assert.Contains("unavailable", error.Message);
        Assert.Contains("Try again later", error.Message);
        Assert.DoesNotContain("refused", error.Message);
    }

    [Fact]
    public async Task An_unknown_error_number_on_a_5xx_is_an_outage_too()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Error(502, 9999));

        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 1 }).GetClientConfigAsync());

        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleUnavailable", 9999), (error.Kind, error.ErrorId, error.AppleErrorNumber));
    }

    [Fact]
    public async Task Transport_errors_are_retried()
    {
        var apple = new TestApple();
        var calls = 0;
        apple.Handler.OnAsync("client/config", (_, _) => Interlocked.Increment(ref calls) < 3
            ? throw new HttpRequestException("connection reset")
            : Task.FromResult(Ok(null!)));

        await apple.Client().GetClientConfigAsync();

        Assert.Equal(3, calls);
        Assert.Contains(apple.Observer.VerboseLines, l => l.StartsWith("GET /mdm/v2/client/config -> failed: HttpRequestException: connection reset ("));
    }

    [Fact]
    public async Task A_refused_connection_is_not_retried_and_the_error_names_the_host_and_the_cause()
    {
        var apple = new TestApple();
        apple.Handler.OnAsync("client/config", (_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (apple.test:443)",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().GetClientConfigAsync());

        Assert.Equal(1, apple.Handler.Count("client/config"));
        Assert.Empty(apple.Time.Delays);
        Assert.Equal(("VppAppleUnreachable", "apple.test"), (error.ErrorId, error.UnreachableHost));
        Assert.Contains("at apple.test for GET /mdm/v2/client/config: the connection was refused", error.Message);
        Assert.Contains(apple.Observer.VerboseLines, l => l.StartsWith("GET /mdm/v2/client/config -> failed: the connection was refused"));
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_not_retried_and_said_to_be_a_DNS_failure()
    {
        var apple = new TestApple();
        apple.Handler.OnAsync("client/config", (_, _) => throw new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (apple.test:443)",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound)));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().GetClientConfigAsync());

        Assert.Equal(1, apple.Handler.Count("client/config"));
        Assert.Equal("apple.test", error.UnreachableHost);
        Assert.Contains("apple.test", error.Message);
        Assert.Contains("could not be resolved (DNS failure", error.Message);
    }

    [Fact]
    public async Task A_connection_reset_every_time_is_retried_and_then_reported_with_its_cause_but_not_as_an_unreachable_host()
    {
        var apple = new TestApple();
        apple.Handler.OnAsync("client/config", (_, _) => throw new HttpRequestException("connection reset"));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, MaxRetries = 2 }).GetClientConfigAsync());

        Assert.Equal(3, apple.Handler.Count("client/config"));
        Assert.Null(error.UnreachableHost);
        Assert.Contains("connection reset", error.Message);
        Assert.Contains("apple.test", error.Message);
    }

    [Fact]
    public async Task A_request_that_never_answers_times_out_after_the_retries()
    {
        var apple = new TestApple();
        apple.Handler.OnAsync("client/config", async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return Ok(null!);
        });

        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client(new AppleClientOptions { RequestTimeout = TimeSpan.FromSeconds(30), MaxRetries = 2 }).GetClientConfigAsync());

        Assert.Equal((VppErrorKind.ServiceUnavailable, "VppAppleTimeout"), (error.Kind, error.ErrorId));
        Assert.Equal(3, apple.Handler.Count("client/config"));
        Assert.Contains(TimeSpan.FromSeconds(30), apple.Time.Delays);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_retried()
    {
        var apple = new TestApple();
        using var cts = new CancellationTokenSource();
        apple.Handler.OnAsync("client/config", async (_, ct) =>
        {
            cts.Cancel();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return Ok(null!);
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apple.Client().GetClientConfigAsync(cts.Token));
        Assert.Equal(1, apple.Handler.Count("client/config"));
    }
}

internal static class ResponseExtensions
{
    public static HttpResponseMessage Also(this HttpResponseMessage response, Action<HttpResponseMessage> adjust)
    {
        adjust(response);
        return response;
    }
}
