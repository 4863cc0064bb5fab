using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly;
using Polly.Timeout;

namespace VppPS.Engine.Apple;

/// <summary>
/// Sends one logical request through the resilience pipeline: builds a fresh HttpRequestMessage
/// per attempt, counts attempts, writes one Verbose line per attempt (method, path and query,
/// status, elapsed ms; never headers) and turns transport failures that outlived the retries
/// into VppException. Apple errors in the body are left to the caller. A successful answer is
/// parsed inside the attempt when the caller gives a parser, so that an answer that cannot be
/// read (not JSON, cut short, empty) is retried like a 5xx.
/// </summary>
internal sealed class AppleHttpSender
{
    private readonly HttpClient _http;
    private readonly IClock _clock;
    private readonly IOperationObserver _observer;
    private readonly ResiliencePipeline<AppleHttpResult> _pipeline;
    private long _requestCount;

    public AppleHttpSender(HttpClient http, AppleClientOptions options, IClock clock, IOperationObserver observer, AppleRequestRateLimiter? rateLimiter)
    {
        _http = http;
        _clock = clock;
        _observer = observer;
        _pipeline = AppleResilience.Build(options, rateLimiter, observer);
    }

    public long RequestCount => Interlocked.Read(ref _requestCount);

    public static string Label(HttpMethod method, Uri url) => $"{method.Method} {url.AbsolutePath}{url.Query}";

    /// <param name="addHeaders">Adds the secret headers (Authorization, Cookie) to each attempt.</param>
    /// <param name="parse">
    /// Reads a successful answer's body into <see cref="AppleHttpResult.Value"/>; a JsonException
    /// it throws marks the attempt unreadable (<see cref="AppleHttpResult.ReadFailure"/>), which is retried.
    /// </param>
    public async Task<AppleHttpResult> SendAsync(HttpMethod method, Uri url, byte[]? body, Action<HttpRequestHeaders>? addHeaders,
        CancellationToken cancellationToken, Func<byte[], object>? parse = null)
    {
        var label = Label(method, url);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(AppleResilience.RequestLabel, label);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Sender.AttemptAsync(state.Method, state.Url, state.Body, state.AddHeaders, state.Parse, state.Label, ctx),
                context, (Sender: this, Method: method, Url: url, Body: body, AddHeaders: addHeaders, Parse: parse, Label: label)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw AppleErrors.TimedOut(label, ex);
        }
        catch (HttpRequestException ex)
        {
            throw AppleErrors.Unreachable(label, url, ex);
        }
        catch (IOException ex)
        {
            throw AppleErrors.Unreachable(label, url, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw AppleErrors.TimedOut(label, ex); // HttpClient.Timeout rather than ours
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<AppleHttpResult> AttemptAsync(HttpMethod method, Uri url, byte[]? body, Action<HttpRequestHeaders>? addHeaders,
        Func<byte[], object>? parse, string label, ResilienceContext context)
    {
        using var request = new HttpRequestMessage(method, url);
        addHeaders?.Invoke(request.Headers);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
            request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

        Interlocked.Increment(ref _requestCount);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.CancellationToken).ConfigureAwait(false);
            var result = await AppleHttpResult.ReadAsync(response, _clock, context.CancellationToken).ConfigureAwait(false);
            if (parse is not null && result.IsSuccess)
            {
                try
                {
                    result = result with { Value = parse(result.Body) };
                }
                catch (JsonException ex)
                {
                    result = result with { ReadFailure = ex };
                }
            }
            _observer.Verbose($"{label} -> {(int)result.Status}{(result.Error is { } e ? $" error {e.ErrorNumber}" : "")}{(result.ReadFailure is null ? "" : " unreadable")} ({ElapsedMs(started)} ms)");
            var internalErrors = result.Error?.ErrorNumber == AppleErrorNumbers.InternalError
                ? context.Properties.GetValue(AppleResilience.ConsecutiveInternalErrors, 0) + 1
                : 0;
            context.Properties.Set(AppleResilience.ConsecutiveInternalErrors, internalErrors);
            return result with { ConsecutiveInternalErrors = internalErrors };
        }
        catch (Exception ex)
        {
            _observer.Verbose($"{label} -> {(ex is OperationCanceledException ? "cancelled" : "failed: " + AppleErrors.Describe(ex).Cause)} ({ElapsedMs(started)} ms)");
            throw;
        }
    }

    private static long ElapsedMs(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
