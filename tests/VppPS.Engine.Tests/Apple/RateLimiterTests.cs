using VppPS.Engine.Apple;

namespace VppPS.Engine.Tests.Apple;

public class RateLimiterTests
{
    private static void AssertNoWindowExceeds(IReadOnlyList<long> grantTicks, int limit, TimeSpan window)
    {
        var sorted = grantTicks.Order().ToArray();
        for (var i = limit; i < sorted.Length; i++)
            Assert.True(sorted[i] - sorted[i - limit] >= window.Ticks,
                $"{limit + 1} permits within {TimeSpan.FromTicks(sorted[i] - sorted[i - limit]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Parallel_callers_never_get_more_than_the_limit_in_any_window()
    {
        var time = new VirtualTimeProvider();
        var limiter = new AppleRequestRateLimiter(15, TimeSpan.FromSeconds(1), time);
        var grants = new System.Collections.Concurrent.ConcurrentBag<long>();
        // Recorded by the limiter at the moment of granting: reading the clock after the await
        // could see a later time moved on by another caller's wait.
        limiter.OnGrant = grants.Add;

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 60; i++)
            {
                using var lease = await limiter.AcquireAsync();
                Assert.True(lease.IsAcquired);
            }
        })));

        var ticks = grants.ToList();
        AssertNoWindowExceeds(ticks, 15, TimeSpan.FromSeconds(1));
        var elapsed = TimeSpan.FromTicks(ticks.Max() - ticks.Min());
        Assert.InRange(elapsed.TotalSeconds, 300 / 15 - 1, 300 / 15 * 1.1); // 300 requests at 15/s
    }

    [Fact]
    public void Attempting_beyond_the_limit_is_refused_not_queued()
    {
        var limiter = new AppleRequestRateLimiter(2, TimeSpan.FromSeconds(1), new VirtualTimeProvider());
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.False(limiter.AttemptAcquire().IsAcquired);
    }

    [Fact]
    public async Task The_limit_follows_service_config_and_is_shared_by_parallel_page_reads()
    {
        var apple = new TestApple();
        apple.Handler.On("service/config", _ => ScriptedHandler.Json(200, ScriptedHandler.ServiceConfigJson.Replace("\"maxRequestPerSecond\": 15", "\"maxRequestPerSecond\": 4")));
        apple.Handler.On("assignments", r => ScriptedHandler.Json(200, AppleSamples.AssignmentsPage(int.Parse(r.QueryValue("pageIndex")!), 30)));
        var options = apple.Options() with { RateLimitWindow = TimeSpan.FromSeconds(1) };
        var client = apple.Client(options);
        // Recorded by the limiter at the moment of granting, as in the test above: the time a request
        // reaches the handler can be later than its grant when parallel callers move the virtual clock.
        var sent = new System.Collections.Concurrent.ConcurrentBag<long>();
        client.RateLimiter.OnGrant = sent.Add;

        await ApplePaging.ReadAllAsync(ct => client.ReadAssignmentPagesAsync(null, ct), (_, _) => default);

        Assert.Equal(4, client.RateLimiter.PermitLimit);
        AssertNoWindowExceeds(sent.ToList(), 4, TimeSpan.FromSeconds(1));
        Assert.Equal(31, client.RequestCount);
    }
}
