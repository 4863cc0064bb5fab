using VppPS.Engine.Sync;
using VppPS.Engine.Tests.Apple;

namespace VppPS.Engine.Tests.Sync;

/// <summary>
/// A sync reads lists that do not depend on each other side by side, so that against Apple's
/// 250 ms answers and 15 requests per second it waits only where it must: the counted and the free
/// assets together, and subscriptions with the licenses (the client config goes alone first, so an
/// Apple that cannot be reached fails one request).
/// </summary>
[Collection("Simulator")]
public sealed class SyncReadOrderTests
{
    /// <summary>
    /// Holds back the answer to a request until another request has been seen (or a generous bound
    /// has passed, which the test reports as a failure): if the sync read the two one after the
    /// other, the second would never come while the first waits.
    /// </summary>
    private sealed class Rendezvous() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly List<(Func<Uri, bool> Held, Func<Uri, bool> Until, TaskCompletionSource Seen, string Name)> _pairs = [];
        public readonly List<string> Missed = [];

        public void Hold(string name, Func<Uri, bool> held, Func<Uri, bool> until) =>
            _pairs.Add((held, until, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), name));

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            foreach (var (_, until, seen, _) in _pairs)
                if (until(uri)) seen.TrySetResult();
            foreach (var (held, _, seen, name) in _pairs)
            {
                if (!held(uri)) continue;
                try { await seen.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken); }
                catch (TimeoutException) { lock (Missed) Missed.Add(name); }
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private static bool Path(Uri uri, string path, string? query = null) =>
        uri.AbsolutePath.EndsWith(path, StringComparison.Ordinal) && (query is null || uri.Query.Contains(query, StringComparison.Ordinal));

    [Fact]
    public async Task Independent_reads_of_a_sync_are_in_flight_together_and_the_state_is_the_same()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        using var rendezvous = new Rendezvous();
        rendezvous.Hold("counted assets with free assets", u => Path(u, "/assets", "unlimited=false"), u => Path(u, "/assets", "unlimited=true"));
        rendezvous.Hold("licenses with subscriptions", u => Path(u, "/assignments", "pageIndex=0"), u => Path(u, "/subscriptions"));
        using var http = new HttpClient(rendezvous);
        var context = new VppContext(h.Context.Session, "xunit", new RecordingObserver(), h.Context.Clock) { AppleHttp = http };

        var run = await new SyncService(context).SyncAsync(h.CurrentToken, forceFull: true, CancellationToken.None);

        Assert.Empty(rendezvous.Missed);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(h.SimLicenses("1598346602"), h.StateLicenses());
        Assert.Equal(h.SimUsers(), h.StateUsers());
        Assert.Equal(h.SimAssets("1598346602"), h.StateAssets());
    }

    /// <summary>Refuses the licenses' read with an Apple error and holds the subscriptions' read until it is cancelled.</summary>
    private sealed class RefuseLicenses() : DelegatingHandler(new SocketsHttpHandler())
    {
        public volatile bool SubscriptionsCancelled;
        public volatile bool SubscriptionsOutlived;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            if (Path(uri, "/assignments"))
                return new HttpResponseMessage(System.Net.HttpStatusCode.BadRequest)
                {
                    Content = new StringContent("""{"errorNumber":9600,"errorMessage":"refused by the test"}""", System.Text.Encoding.UTF8, "application/json"),
                };
            if (Path(uri, "/subscriptions"))
            {
                try { await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken); SubscriptionsOutlived = true; }
                catch (OperationCanceledException) { SubscriptionsCancelled = true; throw; }
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_failed_license_read_stops_the_subscription_read_and_the_sync_fails_with_the_license_error()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        using var refuse = new RefuseLicenses();
        using var http = new HttpClient(refuse);
        var context = new VppContext(h.Context.Session, "xunit", new RecordingObserver(), h.Context.Clock) { AppleHttp = http };

        var error = await Assert.ThrowsAsync<VppException>(() => new SyncService(context).SyncAsync(h.CurrentToken, forceFull: true, CancellationToken.None));

        Assert.Equal(9600, error.AppleErrorNumber);
        Assert.True(refuse.SubscriptionsCancelled);
        Assert.False(refuse.SubscriptionsOutlived);
        Assert.Equal(SyncStatus.failed, h.SyncHistory()[0].Status);
        Assert.Empty(h.StateLicenses());
    }
}
