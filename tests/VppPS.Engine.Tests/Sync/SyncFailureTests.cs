using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Engine.Tests.Apple;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Sync;

/// <summary>A run that fails, whatever the failure, is recorded as failed; never left "inProgress".</summary>
[Collection("Simulator")]
public sealed class SyncFailureTests
{
    /// <summary>An observer that breaks as soon as the sync reports progress: a failure that is no VppException.</summary>
    private sealed class BrokenObserver : IOperationObserver
    {
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public void Progress(int activityId, string activity, string status, int percent, bool completed = false) =>
            throw new InvalidOperationException("the observer broke");
        public bool ShouldProcess(string target, string action) => true;
    }

    [Fact]
    public async Task A_sync_that_fails_with_an_unexpected_exception_is_recorded_as_failed()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        var context = new VppContext(h.Context.Session, "xunit", new BrokenObserver());

        await Assert.ThrowsAsync<InvalidOperationException>(() => new SyncService(context).SyncAsync(h.CurrentToken, false, CancellationToken.None));

        var run = h.SyncHistory()[0];
        Assert.Equal(SyncStatus.failed, run.Status);
        Assert.Equal("the observer broke", run.Error);
        Assert.Equal(VppTokenSyncStatus.failed, h.CurrentToken.LastSyncStatus);
    }

    [Fact]
    public async Task A_sync_stopped_by_a_full_disk_is_told_as_such_and_recorded_as_failed()
    {
        // Enough licenses that keeping them needs new pages in the file.
        var scenario = new SimulatorScenario
        {
            Locations = [new ScenarioLocation { LocationName = "Generated", Generate = new ScenarioGenerate { Assets = 20, Users = 300, Assignments = 3000 } }],
        };
        await using var h = await EngineHarness.StartAsync(scenario, "Generated");
        VppException e;
        using (TestStores.FillDisk(h.Context.Store))
            e = await Assert.ThrowsAsync<VppException>(() => h.SyncAsync());

        Assert.Equal((VppErrorKind.DiskFull, TestStores.DiskFullId), (e.Kind, e.ErrorId));
        var run = h.SyncHistory()[0];
        Assert.Equal(SyncStatus.failed, run.Status);
        Assert.Contains("disk", run.Error);
        Assert.Empty(h.StateLicenses()); // nothing of the sync was kept
    }

    [Fact]
    public async Task A_failure_that_cannot_be_recorded_is_warned_about_and_marked_by_the_next_run()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        var observer = new RecordingObserver();
        var runs = new SyncRunStore(new VppContext(h.Context.Session, "xunit", observer));
        var runId = runs.Start(h.CurrentToken, SyncKind.Full);

        h.Context.Store.OnOpen = _ => throw TestStores.DiskFullError();
        try
        {
            runs.Fail(runId, h.Token.Id, "Apple is unavailable", 3); // does not throw: the caller reports the failure itself
        }
        finally
        {
            h.Context.Store.OnOpen = null;
        }

        Assert.Contains(observer.VerboseLines, l => l.StartsWith("WARNING: ") && l.Contains("could not be recorded") && l.Contains(TestStores.DiskFullId));
        Assert.Equal(SyncStatus.inProgress, runs.Get(runId).Status);
        runs.Start(h.CurrentToken, SyncKind.Full);
        var interrupted = runs.Get(runId);
        Assert.Equal(SyncStatus.failed, interrupted.Status);
        Assert.Contains("interrupted", interrupted.Error);
    }

    [Fact]
    public async Task A_run_whose_failure_could_not_be_recorded_is_told_as_interrupted_once_its_lease_is_let_go()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        var runs = new SyncRunStore(h.Context);
        long runId;
        using (TokenLease.Acquire(h.Context, h.CurrentToken))
        {
            runId = runs.Start(h.CurrentToken, SyncKind.Full);
            h.Context.Store.OnOpen = _ => throw TestStores.DiskFullError();
            try { runs.Fail(runId, h.Token.Id, "Apple is unavailable", 3); }
            finally { h.Context.Store.OnOpen = null; }
            // While this process holds the token's lease, the run may still be going.
            Assert.Equal(SyncStatus.inProgress, h.SyncHistory().Single(r => r.Id == runId).Status);
            Assert.Equal(VppTokenSyncStatus.inProgress, h.CurrentToken.LastSyncStatus);
        }

        var run = h.SyncHistory().Single(r => r.Id == runId);
        Assert.Equal((SyncStatus.failed, SyncRunStore.InterruptedError), (run.Status, run.Error));
        Assert.NotNull(run.EndDateTime);
        Assert.Equal(VppTokenSyncStatus.failed, h.CurrentToken.LastSyncStatus);
    }

    [Fact]
    public async Task A_run_left_in_progress_is_told_as_interrupted_once_its_lease_expired_or_its_process_is_gone_also_when_a_session_opens()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var context = new VppContext(h.Context.Session, "xunit", NullObserver.Instance, clock);
        var runs = new SyncRunStore(context);
        var leases = new LeaseStore(context.Store, clock);
        var resource = Lease.ForToken(h.Context.Store.Read(c => Convert.ToInt64(c.Scalar(null, "SELECT key FROM tokens WHERE id = $id", ("$id", h.Token.Id.ToString())))));

        // A sync on another host, killed: its lease stays until it expires.
        var otherHost = new LeaseHolder("other", "ann", "other-host.example", 4242, null, "Sync-VppToken by ann on other-host.example (process 4242)");
        Assert.NotNull(leases.TryAcquire(resource, otherHost, TimeSpan.FromMinutes(5)).Lease);
        var first = runs.Start(h.CurrentToken, SyncKind.Full);
        Assert.Equal(SyncStatus.inProgress, runs.History(h.Token.Id, null, 10).Single(r => r.Id == first).Status);
        clock.UtcNow += TimeSpan.FromMinutes(6);
        Assert.Equal((SyncStatus.failed, SyncRunStore.InterruptedError), runs.History(h.Token.Id, null, 10).Select(r => (r.Status, r.Error)).First());
        Assert.Equal(VppTokenSyncStatus.failed, h.CurrentToken.LastSyncStatus);

        // A sync of this host whose process is gone (no process has the largest id): told as soon as a session opens, before any history is read.
        var gone = new LeaseHolder("gone", "ann", Environment.MachineName, int.MaxValue, null, "Sync-VppToken by ann (process gone)");
        Assert.NotNull(leases.TryAcquire(resource, gone, TimeSpan.FromMinutes(5)).Lease);
        var second = runs.Start(h.CurrentToken, SyncKind.Incremental);
        Assert.Equal(VppTokenSyncStatus.inProgress, h.CurrentToken.LastSyncStatus);
        VppSession.ForChoice(h.Context.Session.Choice);
        Assert.Equal(VppTokenSyncStatus.failed, h.CurrentToken.LastSyncStatus);
        Assert.Equal((SyncStatus.failed, SyncRunStore.InterruptedError), (runs.Get(second).Status, runs.Get(second).Error));
    }
}
