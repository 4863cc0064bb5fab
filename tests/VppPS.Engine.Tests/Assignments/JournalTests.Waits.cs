using VppPS.Engine.Assignments;
using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Engine.Tests.Apple;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>How long a run waits on events, and which refused requests the journal closes.</summary>
public sealed partial class JournalTests
{
    [Fact]
    public async Task Once_one_fresh_request_waited_out_its_10_minutes_the_rest_of_the_run_gets_one_look_and_stays_open()
    {
        await using var h = await StartAsync();
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var observer = new RecordingObserver();
        var polls = 0;
        // Each look at an event takes a minute of the engine's clock: no real minute passes.
        using var kill = new KillSwitch { BeforeStatusPoll = () => { polls++; clock.UtcNow += TimeSpan.FromMinutes(1); } };
        using var http = new HttpClient(kill);
        var context = Context(h, http, clock, observer);
        DeviceGroup(context, "iPads", 3);
        DeviceGroup(context, "Carts", 2, first: 11);
        var service = new AssignmentService(context);
        foreach (var (app, group) in new[] { (TenApp, "iPads"), (BigApp, "Carts") })
            await service.SetAsync(new SetAssignmentRequest(new AssetSelector(app, null, h.Token.Name), group, AssignmentIntent.Required, null, false),
                whatIf: false, CancellationToken.None, defer: true);
        // Apple leaves both associations of the next run PENDING.
        h.Sim.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.StayPending, Path = "assets/associate", Count = 2 });

        var started = clock.UtcNow;
        var run = await SyncAsync(context, h).WaitAsync(Guard);

        // The first request is followed for its 10 minutes; the second gets one look, not 10 more minutes.
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(0, run.Applied!.Associated);
        Assert.Equal(2, OpenOperations(h));
        Assert.InRange(clock.UtcNow - started, AssignmentApplier.ResubmitAfter, AssignmentApplier.ResubmitAfter + TimeSpan.FromMinutes(3));
        Assert.Equal(2, Warnings(observer, "Apple has not finished"));

        // The next run, 10 minutes later, sends both again, as Apple asks.
        clock.UtcNow += AssignmentApplier.ResubmitAfter;
        run = await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        Assert.Equal([Serial(11), Serial(12)], SimHolders(h, BigApp));

        h.Sim.ReleasePendingEvents(School);
        await SyncAsync(context, h).WaitAsync(Guard);
        AssertConsistent(h);
    }

    [Fact]
    public async Task A_request_Apple_answers_with_an_internal_error_stays_open_and_is_sent_again_by_the_next_run()
    {
        await using var h = await StartAsync();
        DeviceGroup(h.Context, "iPads", 3);
        // 9603 at every try: Apple may have applied the request, so it is not closed as refused.
        h.Sim.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.InternalError, Path = "assets/associate", Count = 1000, RetryAfterSeconds = 0 });

        var failed = await Assert.ThrowsAsync<VppException>(() => SetAsync(h.Context, h, TenApp, "iPads").WaitAsync(Guard));
        Assert.Equal(9603, failed.AppleErrorNumber);
        Assert.Equal(1, OpenOperations(h));

        h.Sim.ClearFaults(School);
        var run = await h.SyncAsync().WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        AssertConsistent(h);
    }

    [Fact]
    public async Task A_request_Apple_refuses_with_a_client_error_is_closed_as_refused()
    {
        await using var h = await StartAsync();
        DeviceGroup(h.Context, "iPads", 3);
        h.Sim.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.RateLimited, Path = "assets/associate", Count = 1000, RetryAfterSeconds = 0 });

        await Assert.ThrowsAsync<VppException>(() => SetAsync(h.Context, h, TenApp, "iPads").WaitAsync(Guard));
        Assert.Equal(0, OpenOperations(h));
        Assert.Equal(1L, h.Context.Store.Read(c => (long)c.Scalar(null, "SELECT count(*) FROM pending_operations WHERE status = 'refused'")!));
        h.Sim.ClearFaults(School);
    }

    [Fact]
    public async Task The_members_waiting_are_counted_per_app_so_that_an_assignment_names_only_its_own()
    {
        await using var h = await StartAsync();
        DeviceGroup(h.Context, "Lab", 12);
        DeviceGroup(h.Context, "Carts", 2, first: 21);
        var service = new AssignmentService(h.Context);
        var ten = await service.SetAsync(new SetAssignmentRequest(new AssetSelector(TenApp, null, h.Token.Name), "Lab", AssignmentIntent.Required, null, AllowShortage: true),
            whatIf: false, CancellationToken.None);
        Assert.Equal(2, ten.Applied!.WaitingFor(TenApp, ten.Assignment.PricingParam));

        // Big App's assignment leaves nobody waiting for Big App: the 2 waiting for Ten App are not its own.
        var big = await SetAsync(h.Context, h, BigApp, "Carts");
        Assert.Equal(2, big.Applied!.Waiting);
        Assert.Equal(0, big.Applied.WaitingFor(BigApp, big.Assignment.PricingParam));
        Assert.Equal(2, big.Applied.WaitingFor(TenApp, big.Assignment.PricingParam));
    }
}
