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
}
