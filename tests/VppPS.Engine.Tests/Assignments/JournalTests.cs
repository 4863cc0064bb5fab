using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Engine.Tests.Apple;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>
/// The journal of writes to Apple (pending_operations): a run stopped at any step of any write,
/// or an event Apple leaves PENDING, is finished by the runs that follow, leaving every license
/// VppPS gave recorded as its own and reclaimable, and no VPP user created twice.
/// </summary>
[Collection("Simulator")]
public sealed partial class JournalTests
{
    private const string School = "Journal School";
    private const string TenApp = "100";   // 10 licenses
    private const string UserApp = "200";  // 10 licenses, users only
    private const string BigApp = "400";   // 1000 licenses
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Journal District", LocationName = School,
                Assets =
                {
                    new ScenarioAsset { AdamId = TenApp, Name = "Ten App", TotalCount = 10 },
                    new ScenarioAsset { AdamId = UserApp, Name = "User App", TotalCount = 10, DeviceAssignable = false },
                    new ScenarioAsset { AdamId = BigApp, Name = "Big App", TotalCount = 1000 },
                },
            },
        },
    };

    private static async Task<EngineHarness> StartAsync(bool? postgres = null)
    {
        var h = await EngineHarness.StartAsync(Scenario(), School, postgres);
        await h.SyncAsync();
        return h;
    }

    /// <summary>A context on the same data folder whose Apple requests go through <paramref name="http"/>.</summary>
    private static VppContext Context(EngineHarness h, HttpClient http, IClock? clock = null, IOperationObserver? observer = null) =>
        new(h.Context.Session, "xunit", observer ?? NullObserver.Instance, clock) { AppleHttp = http };

    private static Task<SyncRun> SyncAsync(VppContext context, EngineHarness h, CancellationToken cancellationToken = default) =>
        new SyncService(context).SyncAsync(new TokenService(context).Get(h.Token.Id), forceFull: false, cancellationToken);

    private static Task<SetAssignmentResult> SetAsync(VppContext context, EngineHarness h, string adamId, string group,
        AssignmentIntent intent = AssignmentIntent.Required, CancellationToken cancellationToken = default) =>
        new AssignmentService(context).SetAsync(new SetAssignmentRequest(new AssetSelector(adamId, null, h.Token.Name), group, intent, null, false), whatIf: false, cancellationToken);

    private static string Serial(int i) => $"SER{i:D4}";
    private static string Person(int i) => $"person{i}@journal.example";

    private static void DeviceGroup(VppContext context, string name, int devices, int first = 1)
    {
        var directory = new DirectoryService(context);
        directory.NewGroup(name, DirectoryKind.Device, null);
        directory.AddMembers(name, Enumerable.Range(first, devices).Select(i => new MemberInput { SerialNumber = Serial(i) }).ToList());
    }

    private static void UserGroup(VppContext context, string name, int people)
    {
        var directory = new DirectoryService(context);
        directory.NewGroup(name, DirectoryKind.User, null);
        directory.AddMembers(name, Enumerable.Range(1, people).Select(i => new MemberInput { UserPrincipalName = Person(i), Mail = Person(i) }).ToList());
    }

    private static List<string> SimHolders(EngineHarness h, string adamId) =>
        h.Sim.GetAssignments(School).Where(a => a.AdamId == adamId).Select(a => a.SerialNumber ?? a.ClientUserId!).Order(StringComparer.Ordinal).ToList();

    private static List<string> ManagedHolders(EngineHarness h, string adamId) => h.Context.Store.Read(c =>
    {
        using var command = c.Command(null, "SELECT target FROM managed_licenses WHERE adam_id = $a ORDER BY target", ("$a", adamId));
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read()) list.Add(reader.GetString(0));
        return list;
    });

    private static List<(string ClientUserId, string? DirectoryUserId, bool Retired)> ManagedUsers(EngineHarness h) => h.Context.Store.Read(c =>
    {
        using var command = c.Command(null, "SELECT client_user_id, directory_user_id, CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END FROM managed_users ORDER BY client_user_id");
        using var reader = command.ExecuteReader();
        var list = new List<(string, string?, bool)>();
        while (reader.Read()) list.Add((reader.GetString(0), reader.GetStringOrNull(1), reader.GetInt64(2) != 0));
        return list;
    });

    private static long OpenOperations(EngineHarness h) => h.Context.Store.Read(c =>
        (long)c.Scalar(null, "SELECT count(*) FROM pending_operations WHERE status IN ('submitting', 'submitted', 'pending', 'unknown')")!);

    private static int Warnings(RecordingObserver observer, string text) => observer.VerboseLines.Count(l => l.StartsWith("WARNING: ", StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));

    /// <summary>What must hold after a clean run, whatever happened before.</summary>
    private static void AssertConsistent(EngineHarness h)
    {
        Assert.Equal(h.SimLicenses(), h.StateLicenses());
        Assert.Equal(h.SimAssets(), h.StateAssets());
        // Every license at Apple was given by VppPS (no other source here), so every one is recorded as VppPS's, and no other.
        foreach (var app in new[] { TenApp, UserApp, BigApp })
            Assert.Equal(SimHolders(h, app), ManagedHolders(h, app));
        // No VPP user twice: one record per person at Apple, one VPP user per person in VppPS, and each of those exists at Apple.
        Assert.All(h.Sim.GetUsers(School).GroupBy(u => u.Email), g => Assert.Single(g));
        var managed = ManagedUsers(h);
        Assert.All(managed.Where(u => !u.Retired).GroupBy(u => u.DirectoryUserId), g => Assert.Single(g));
        Assert.Equal(h.Sim.GetUsers(School).Select(u => u.ClientUserId).Order(StringComparer.Ordinal), managed.Select(u => u.ClientUserId));
        Assert.All(h.Sim.GetAssets(School), a => Assert.True(a.AssignedCount <= a.TotalCount, $"{a.AdamId}: {a.AssignedCount} of {a.TotalCount} assigned"));
        Assert.Equal(0, OpenOperations(h));
        Assert.True(new AssignmentApplier(h.Context).Plan(h.CurrentToken).IsEmpty);
    }

    public static TheoryData<string, KillPoint, KillHow> Kills()
    {
        var data = new TheoryData<string, KillPoint, KillHow>();
        foreach (var write in new[] { "assets/associate", "assets/disassociate", "users/create", "users/retire" })
        {
            foreach (var point in Enum.GetValues<KillPoint>())
                data.Add(write, point, KillHow.Crash);
            data.Add(write, KillPoint.AnswerLost, KillHow.Cancel);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Kills))]
    public async Task A_run_stopped_at_any_step_of_a_write_is_finished_by_one_clean_sync(string write, KillPoint point, KillHow how)
    {
        await using var h = await StartAsync();
        using var kill = new KillSwitch();
        using var http = new HttpClient(kill);
        var dying = Context(h, http);
        var (app, group) = write.StartsWith("assets/", StringComparison.Ordinal) ? (TenApp, "iPads") : (UserApp, "Teachers");
        Func<Task> killed;
        switch (write)
        {
            case "assets/associate":
                DeviceGroup(h.Context, group, 3);
                killed = () => SetAsync(dying, h, app, group, cancellationToken: kill.Cancellation.Token);
                break;
            case "assets/disassociate":
                DeviceGroup(h.Context, group, 3);
                await SetAsync(h.Context, h, app, group);
                new DirectoryService(h.Context).RemoveMembers(group, [Serial(3)]);
                killed = () => SyncAsync(dying, h, kill.Cancellation.Token);
                break;
            case "users/create":
                UserGroup(h.Context, group, 3);
                killed = () => SetAsync(dying, h, app, group, cancellationToken: kill.Cancellation.Token);
                break;
            default:
                UserGroup(h.Context, group, 3);
                await SetAsync(h.Context, h, app, group);
                Assert.True(new DirectoryService(h.Context).RemoveUser(Person(3)));
                killed = () => SyncAsync(dying, h, kill.Cancellation.Token);
                break;
        }
        var before = ManagedUsers(h);

        kill.Arm(write, point, how);
        var error = await Record.ExceptionAsync(() => killed().WaitAsync(Guard));
        Assert.True(kill.Fired, $"the run never reached {point} of {write}: {error}");
        Assert.True(error is SimulatedCrash or OperationCanceledException, error?.ToString());

        // One clean run, as a new process would start it: only the database is left of the killed one.
        await h.SyncAsync().WaitAsync(Guard);
        AssertConsistent(h);
        switch (write)
        {
            case "assets/associate":
                Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, app));
                break;
            case "assets/disassociate":
                Assert.Equal([Serial(1), Serial(2)], SimHolders(h, app));
                break;
            case "users/create":
                Assert.Equal(3, h.Sim.GetUsers(School).Count);
                Assert.Equal(ManagedUsers(h).Select(u => u.ClientUserId), SimHolders(h, app));
                break;
            default:
                var retired = before.Single(u => new DirectoryService(h.Context).ListUsers(includeRemoved: true)
                    .Single(p => p.UserPrincipalName == Person(3)).UserId == u.DirectoryUserId).ClientUserId;
                Assert.Equal("Retired", Assert.Single(h.Sim.GetUsers(School), u => u.ClientUserId == retired).Status);
                Assert.Contains(ManagedUsers(h), u => u.ClientUserId == retired && u.Retired);
                Assert.Equal(3, h.Sim.GetUsers(School).Count);
                Assert.Equal(2, SimHolders(h, app).Count);
                break;
        }

        // Reclaimable: Uninstall takes back every license VppPS gave.
        await SetAsync(h.Context, h, app, group, AssignmentIntent.Uninstall).WaitAsync(Guard);
        Assert.Empty(SimHolders(h, app));
        AssertConsistent(h);
    }

    [Fact]
    public async Task An_event_left_pending_by_a_fresh_request_is_reported_once_and_sent_again_after_10_minutes()
    {
        await using var h = await StartAsync();
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var observer = new RecordingObserver();
        // Each look at an event takes a minute of the engine's clock: no real minute passes.
        using var kill = new KillSwitch { BeforeStatusPoll = () => clock.UtcNow += TimeSpan.FromMinutes(1) };
        using var http = new HttpClient(kill);
        var context = Context(h, http, clock, observer);
        DeviceGroup(context, "iPads", 3);
        h.Sim.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.StayPending, Path = "assets/associate" });

        // Apple never finishes the event: after 10 minutes VppPS stops waiting, says so, and does the rest.
        DeviceGroup(context, "Carts", 2, first: 11);
        var set = await SetAsync(context, h, TenApp, "iPads").WaitAsync(Guard);
        Assert.Equal(0, set.Applied!.Associated);
        Assert.Equal(1, Warnings(observer, "Apple has not finished"));
        Assert.Equal(1, OpenOperations(h));
        var carts = await SetAsync(context, h, BigApp, "Carts").WaitAsync(Guard);
        Assert.Equal(2, carts.Applied!.Associated);
        Assert.Equal([Serial(11), Serial(12)], SimHolders(h, BigApp));

        // The next run comes more than 10 minutes after the request was sent: it sends it again, as Apple asks.
        var run = await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        Assert.Equal([Serial(1), Serial(2), Serial(3)], ManagedHolders(h, TenApp));
        Assert.Equal(1, Warnings(observer, "Apple has not finished"));

        // When Apple finally runs the first event, it changes nothing: the licenses are held already.
        h.Sim.ReleasePendingEvents(School);
        await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(3, h.Sim.GetAssets(School).Single(a => a.AdamId == TenApp).AssignedCount);
        AssertConsistent(h);
        Assert.Equal(1, Warnings(observer, "Apple has not finished"));
    }

    [Fact]
    public async Task An_event_left_open_by_an_earlier_run_blocks_no_sync_and_no_other_assignment()
    {
        await using var h = await StartAsync();
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var observer = new RecordingObserver();
        using var kill = new KillSwitch { BeforeStatusPoll = () => clock.UtcNow += TimeSpan.FromMinutes(1) };
        using var http = new HttpClient(kill);
        var context = Context(h, http, clock, observer);
        DeviceGroup(context, "iPads", 3);
        h.Sim.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.StayPending, Path = "assets/associate" });
        // The run dies with the event sent and its id recorded; Apple keeps the event PENDING.
        kill.Arm("assets/associate", KillPoint.BeforePoll);
        await Assert.ThrowsAsync<SimulatedCrash>(() => SetAsync(context, h, TenApp, "iPads").WaitAsync(Guard));

        // An unrelated assignment goes ahead at once; the open event is reported, once.
        DeviceGroup(context, "Carts", 2, first: 11);
        var carts = await SetAsync(context, h, BigApp, "Carts").WaitAsync(Guard);
        Assert.Equal(2, carts.Applied!.Associated);
        Assert.Equal(1, Warnings(observer, "Apple has not finished"));

        // So does a sync: its pull is recorded as complete, and nothing asks Apple a second time for the licenses in flight.
        var run = await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(SyncStatus.completed, h.SyncHistory()[0].Status);
        Assert.Equal(0, run.Applied!.Associated);
        Assert.DoesNotContain(new AssignmentApplier(context).Plan(h.CurrentToken).Associations, a => a.AdamId == TenApp);
        Assert.Equal(1, Warnings(observer, "Apple has not finished"));
        Assert.Empty(SimHolders(h, TenApp));

        // 10 minutes after it was sent, it is sent again; Apple runs that one.
        clock.UtcNow += AssignmentApplier.ResubmitAfter;
        run = await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        Assert.Equal([Serial(1), Serial(2), Serial(3)], ManagedHolders(h, TenApp));

        h.Sim.ReleasePendingEvents(School);
        await SyncAsync(context, h).WaitAsync(Guard);
        AssertConsistent(h);
        Assert.Equal(1, Warnings(observer, "Apple has not finished"));
    }

    [Fact]
    public async Task A_users_create_left_pending_is_sent_again_after_reading_the_users_back_and_creates_nobody_twice()
    {
        await using var h = await StartAsync();
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var observer = new RecordingObserver();
        using var kill = new KillSwitch { BeforeStatusPoll = () => clock.UtcNow += TimeSpan.FromMinutes(1) };
        using var http = new HttpClient(kill);
        var context = Context(h, http, clock, observer);
        UserGroup(context, "Teachers", 3);
        h.Sim.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.StayPending, Path = "users/create" });

        var set = await SetAsync(context, h, UserApp, "Teachers").WaitAsync(Guard);
        Assert.Equal(0, set.Applied!.UsersCreated);
        Assert.Equal(1, Warnings(observer, "Apple has not finished the request to create 3 VPP user(s)"));
        Assert.Empty(h.Sim.GetUsers(School));
        // Nobody is planned a second VPP user while the first request is open.
        Assert.Empty(new AssignmentApplier(context).Plan(h.CurrentToken).UsersToCreate);

        await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(3, h.Sim.GetUsers(School).Count);
        Assert.Equal(3, SimHolders(h, UserApp).Count);

        // The first request, run late by Apple, finds the same clientUserIds taken (9716): still three users.
        h.Sim.ReleasePendingEvents(School);
        await SyncAsync(context, h).WaitAsync(Guard);
        Assert.Equal(3, h.Sim.GetUsers(School).Count);
        AssertConsistent(h);
    }
}
