using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Sync;
using VppPS.Engine.Tests.Assignments;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Subscriptions;

/// <summary>
/// Subscription seats assigned to user groups (spec 2.10.4, 2.10.5): the plan, the shortage rules
/// of apps, deferred and immediate reclaims and the period end on the simulator's clock, Apple's
/// whole-request refusals (9814, 9817), and the journal across a crash.
/// </summary>
[Collection("Simulator")]
public sealed class SeatAssignmentTests
{
    private const string School = "Seat School";
    private const long Reads = 1700000001;
    private const string ReadsId = "1700000001";
    /// <summary>How the subscription is named: no metadata service knows its parent app in this scenario, so it goes by the parent's adamId and its own.</summary>
    private const string ReadsLabel = "adamId 719219382 (" + ReadsId + ")";
    private const string ViaGroupUser = "asm-group-user";
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    /// <summary>3 renewing and 1 expiring seat, one renewing seat held through a group in Apple School Manager (person 9): 2 renewing and 1 expiring available.</summary>
    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Seat District", LocationName = School, SubscriptionManagement = true,
                Users = { new ScenarioUser { ClientUserId = ViaGroupUser, Email = Person(9), Status = "Registered" } },
                Subscriptions =
                {
                    new ScenarioSubscription { AdamId = Reads, ParentAdamId = 719219382, Name = "Reads", PeriodEndsInDays = 10, BillingPeriodDays = 30,
                        Total = new ScenarioSeats { Renewing = 3, Expiring = 1 } },
                },
                SubscriptionAssignments = { new ScenarioSubscriptionAssignment { AdamId = Reads, ClientUserId = ViaGroupUser, Renewing = true, ViaGroup = true } },
            },
        },
    };

    private static async Task<EngineHarness> StartAsync()
    {
        var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        return h;
    }

    private static string Person(int i) => $"person{i}@seat.example";

    private static void UserGroup(VppContext context, string name, params int[] people)
    {
        var directory = new DirectoryService(context);
        directory.NewGroup(name, DirectoryKind.User, null);
        directory.AddMembers(name, people.Select(i => new MemberInput { UserPrincipalName = Person(i), Mail = Person(i) }).ToList());
    }

    private static Task<SetAssignmentResult> SetAsync(VppContext context, string group, AssignmentIntent intent = AssignmentIntent.Required, bool? renewing = null,
        bool allowShortage = false, bool? immediately = null, bool whatIf = false, CancellationToken cancellationToken = default) =>
        new AssignmentService(context).SetAsync(new SetAssignmentRequest(new AssetSelector(ReadsId, null, null), group, intent, null, allowShortage, renewing, immediately),
            whatIf, cancellationToken);

    /// <summary>clientUserId of each person VppPS made (or linked) a VPP user for.</summary>
    private static Dictionary<string, string> ClientUserIds(EngineHarness h) => h.Context.Store.Read(c =>
    {
        using var command = c.Command(null, "SELECT u.user_principal_name, mu.client_user_id FROM managed_users mu JOIN directory_users u ON u.id = mu.directory_user_id WHERE mu.retired_at IS NULL");
        using var reader = command.ExecuteReader();
        var map = new Dictionary<string, string>();
        while (reader.Read()) map[reader.GetString(0)] = reader.GetString(1);
        return map;
    });

    /// <summary>Seats at Apple, by person (or clientUserId when VppPS knows no person for it): "renewing" or "expiring".</summary>
    private static SortedDictionary<string, string> SimSeats(EngineHarness h)
    {
        var people = ClientUserIds(h).ToDictionary(p => p.Value, p => p.Key);
        return new(h.Sim.GetSubscriptionAssignments(School).Where(a => a.AdamId == Reads)
            .ToDictionary(a => people.GetValueOrDefault(a.ClientUserId, a.ClientUserId), a => a.Renewing ? "renewing" : "expiring"), StringComparer.Ordinal);
    }

    /// <summary>Seats as the state has them, the same way.</summary>
    private static SortedDictionary<string, string> StateSeats(EngineHarness h)
    {
        var people = ClientUserIds(h).ToDictionary(p => p.Value, p => p.Key);
        return new(new SubscriptionService(h.Context).Seats().Where(s => s.AdamId == ReadsId)
            .ToDictionary(s => people.GetValueOrDefault(s.ClientUserId, s.ClientUserId), s => s.Renewing ? "renewing" : "expiring"), StringComparer.Ordinal);
    }

    private static SubscriptionSeat Seat(EngineHarness h, int person) =>
        new SubscriptionService(h.Context).Seats().Single(s => s.AdamId == ReadsId && s.ClientUserId == ClientUserIds(h)[Person(person)]);

    private static SimSubscriptionSnapshot SimReads(EngineHarness h) => h.Sim.GetSubscriptions(School).Single(s => s.AdamId == Reads);

    private static List<PlanItem> Plan(EngineHarness h) => new AssignmentService(h.Context).PlanItems(h.CurrentToken).Where(i => i.AdamId == ReadsId).ToList();

    private static long OpenOperations(EngineHarness h) => h.Context.Store.Read(c =>
        (long)c.Scalar(null, "SELECT count(*) FROM pending_operations WHERE status IN ('submitting', 'submitted', 'pending')")!);

    [Fact]
    public async Task Seats_go_to_a_user_group_never_beyond_those_available_and_the_rest_wait_until_seats_are_bought()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Teachers", 1, 2, 3, 4);
        var service = new AssignmentService(h.Context);

        // 4 renewing seats wanted, 2 available: refused, nothing saved or sent.
        var shortage = await Assert.ThrowsAsync<VppException>(() => SetAsync(h.Context, "Teachers"));
        Assert.Equal(("VppLicenseShortage", VppErrorKind.LimitExceeded), (shortage.ErrorId, shortage.Kind));
        Assert.Contains("needs 4 new renewing seat(s) and 2 are available (2 short)", shortage.Message);
        Assert.Empty(service.List());
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));

        // -WhatIf shows the plan: seats to give and those that would wait; still nothing saved.
        var trial = await SetAsync(h.Context, "Teachers", renewing: false, whatIf: true);
        // As the apply does it, VPP users are created first for those who get a seat now.
        Assert.Equal([PlanAction.CreateVppUser, PlanAction.CreateVppUser, PlanAction.CreateVppUser,
            PlanAction.Associate, PlanAction.Associate, PlanAction.Associate, PlanAction.WaitForLicense], trial.Plan.Select(p => p.Action));
        Assert.Equal(Person(4), trial.Plan[6].Target);
        Assert.Empty(service.List());

        // Seats that lapse take the expiring seat, then renewing ones; with -AllowShortage the fourth teacher waits.
        var set = await SetAsync(h.Context, "Teachers", renewing: false, allowShortage: true);
        Assert.Equal((3, 1, 0), (set.Applied!.SeatsAssociated, set.Applied.Waiting, set.Applied.Failed));
        Assert.Equal(("Subscription", "", LicenseType.User), (set.Assignment.ProductType, set.Assignment.PricingParam, set.Assignment.LicenseType));
        Assert.Equal(new SortedDictionary<string, string> { [Person(1)] = "expiring", [Person(2)] = "expiring", [Person(3)] = "expiring", [ViaGroupUser] = "renewing" }, SimSeats(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.Equal(0, SimReads(h).AvailableRenewing + SimReads(h).AvailableExpiring);
        var waiting = Assert.Single(Plan(h));
        Assert.Equal((PlanAction.WaitForLicense, Person(4)), (waiting.Action, waiting.Target));
        Assert.Contains("waiting for a seat", waiting.Reason);

        // A second admin's group gets no seat that the first one's members wait for.
        UserGroup(h.Context, "Library", 5);
        Assert.Equal("VppLicenseShortage", (await Assert.ThrowsAsync<VppException>(() => SetAsync(h.Context, "Library"))).ErrorId);

        // Seats bought: the next sync gives the one that waited, and nothing is left to do.
        h.Sim.BuySubscriptionSeats(School, Reads, renewing: 1);
        await h.SyncAsync();
        Assert.Equal("expiring", SimSeats(h)[Person(4)]);
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.Empty(Plan(h));
        Assert.Equal(0, OpenOperations(h));
    }

    [Fact]
    public async Task A_member_who_leaves_keeps_the_seat_until_the_period_end_and_an_immediate_reclaim_frees_it_at_once()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Teachers", 1, 2);
        await SetAsync(h.Context, "Teachers");
        Assert.Equal(new SortedDictionary<string, string> { [Person(1)] = "renewing", [Person(2)] = "renewing", [ViaGroupUser] = "renewing" }, SimSeats(h));

        // Person 2 leaves: the seat is taken back deferred; Apple keeps it until the period end, and VppPS shows it as ending.
        new DirectoryService(h.Context).RemoveMembers("Teachers", [Person(2)]);
        var disassociation = Assert.Single(Plan(h));
        Assert.Equal(PlanAction.Disassociate, disassociation.Action);
        Assert.Contains("no longer in group 'Teachers'; the seat stays until the period end", disassociation.Reason);
        var applied = await new AssignmentService(h.Context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None);
        Assert.Equal(1, applied.SeatsDisassociated);
        Assert.True(SimSeats(h).ContainsKey(Person(2)));
        Assert.Equal(ClientUserIds(h)[Person(2)], Assert.Single(h.Sim.GetSubscriptionAssignments(School), a => a.DeferredEventId is not null).ClientUserId);
        Assert.True(Seat(h, 2).Ending);
        Assert.False(Seat(h, 1).Ending);
        Assert.Empty(Plan(h)); // taken back once: not sent again

        // Back in the group before the period end: the association cancels the reclaim.
        new DirectoryService(h.Context).AddMembers("Teachers", [new MemberInput { UserPrincipalName = Person(2), Mail = Person(2) }]);
        Assert.Contains("cancels the reclaim", Assert.Single(Plan(h)).Reason);
        await new AssignmentService(h.Context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None);
        Assert.False(Seat(h, 2).Ending);
        Assert.DoesNotContain(h.Sim.GetSubscriptionAssignments(School), a => a.DeferredEventId is not null);

        // Leaves again; the period end passes on the simulator's clock: the seat is gone at Apple and, after a sync, in VppPS.
        new DirectoryService(h.Context).RemoveMembers("Teachers", [Person(2)]);
        await h.SyncAsync();
        Assert.True(Seat(h, 2).Ending);
        h.Sim.AdvanceClock(TimeSpan.FromDays(11));
        Assert.False(SimSeats(h).ContainsKey(Person(2)));
        await h.SyncAsync();
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.False(StateSeats(h).ContainsKey(Person(2)));
        Assert.Empty(Plan(h));

        // Remove-VppAssignment -ReclaimLicenses -Immediately: person 1's seat ends at once.
        var assignment = Assert.Single(new AssignmentService(h.Context).List());
        var removed = await new AssignmentService(h.Context).RemoveAsync(assignment.Id, reclaim: true, CancellationToken.None, immediately: true);
        Assert.Equal(1, removed!.SeatsDisassociated);
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.Empty(new AssignmentService(h.Context).List());
    }

    [Fact]
    public async Task Remove_VppAppLicense_takes_a_seat_back_at_the_period_end_by_default_and_at_once_when_asked()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Teachers", 1, 2);
        await SetAsync(h.Context, "Teachers");
        var service = new AssignmentService(h.Context);
        var reads = new AssetSelector(ReadsId, null, null);

        var deferred = await service.RemoveLicensesAsync(reads, [Person(1)], null, null, all: false, includeUnmanaged: false, CancellationToken.None);
        Assert.Equal(1, deferred.SeatsDisassociated);
        Assert.True(SimSeats(h).ContainsKey(Person(1)));
        Assert.True(Seat(h, 1).Ending);

        // Devices hold no seats; a seat not given by VppPS is left unless -IncludeUnmanaged.
        Assert.Equal("VppSubscriptionUsersOnly", (await Assert.ThrowsAsync<VppException>(() =>
            service.RemoveLicensesAsync(reads, null, ["DMPXK2L1HP7M"], null, false, false, CancellationToken.None))).ErrorId);
        Assert.Equal(0, (await service.RemoveLicensesAsync(reads, [ViaGroupUser], null, null, false, false, CancellationToken.None)).SeatsDisassociated);

        var immediate = await service.RemoveLicensesAsync(reads, null, null, null, all: true, includeUnmanaged: false, CancellationToken.None, immediately: true);
        Assert.Equal(2, immediate.SeatsDisassociated);
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
    }

    [Fact]
    public async Task A_request_Apple_refuses_whole_for_one_user_9817_or_9814_is_halved_the_others_get_theirs_and_that_user_waits()
    {
        await using var h = await StartAsync();
        // Person 9 is the location's user holding a renewing seat through a group in Apple School Manager: VppPS links to that VPP user.
        UserGroup(h.Context, "Teachers", 1, 2, 9);
        var observer = new Apple.RecordingObserver();
        var context = new VppContext(h.Context.Session, "xunit", observer);

        // Seats that lapse: person 9's group seat cannot be changed through the API (9817); Apple refuses the whole request.
        var set = await SetAsync(context, "Teachers", renewing: false);
        Assert.Equal((2, 1), (set.Applied!.SeatsAssociated, set.Applied.Failed));
        Assert.Equal(new SortedDictionary<string, string> { [Person(1)] = "expiring", [Person(2)] = "expiring", [Person(9)] = "renewing" }, SimSeats(h));
        Assert.Contains(observer.VerboseLines, l => l.StartsWith("WARNING: ", StringComparison.Ordinal) && l.Contains("Apple Business / Apple School Manager", StringComparison.Ordinal));
        var refused = Assert.Single(Plan(h));
        Assert.Equal((PlanAction.Associate, Person(9)), (refused.Action, refused.Target));
        Assert.StartsWith("9817", refused.LastError);
        // Not sent again while it waits.
        var again = await new AssignmentService(h.Context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None);
        Assert.Equal((1, 0, 0), (again.HeldBack, again.SeatsAssociated, again.Failed));

        // Person 1's VPP user is retired outside VppPS (Apple releases the seat); VppPS has not synced. Renewing seats from now on:
        // Apple refuses the request for person 1 (9814), person 2's seat renews.
        var person1 = ClientUserIds(h)[Person(1)];
        await h.Tokens.CallAsync(h.CurrentToken, client => client.SubmitAndWaitAsync(ct => client.RetireUsersAsync(new ManageUsersRequest { Users = [new RequestUser { ClientUserId = person1 }] }, ct)));
        var renew = await SetAsync(context, "Teachers", renewing: true);
        Assert.Equal(1, renew.Applied!.SeatsAssociated);
        Assert.Equal("renewing", SimSeats(h)[Person(2)]);
        Assert.Contains(Plan(h), i => i.Target == Person(1) && i.LastError?.StartsWith("9814", StringComparison.Ordinal) == true);
        Assert.Equal(0, OpenOperations(h));
    }

    public static TheoryData<string, KillPoint> Kills()
    {
        var data = new TheoryData<string, KillPoint>();
        foreach (var write in new[] { "subscriptions/associate", "subscriptions/disassociate" })
            foreach (var point in Enum.GetValues<KillPoint>())
                data.Add(write, point);
        return data;
    }

    [Theory]
    [MemberData(nameof(Kills))]
    public async Task A_run_stopped_at_any_step_of_a_seat_write_is_finished_by_the_next_sync_with_no_seat_lost_or_given_twice(string write, KillPoint point)
    {
        await using var h = await StartAsync();
        using var kill = new KillSwitch();
        using var http = new HttpClient(kill);
        var dying = new VppContext(h.Context.Session, "xunit", NullObserver.Instance) { AppleHttp = http };
        UserGroup(h.Context, "Teachers", 1, 2);
        Func<Task> killed;
        if (write == "subscriptions/associate")
            killed = () => SetAsync(dying, "Teachers");
        else
        {
            await SetAsync(h.Context, "Teachers", immediately: true);
            new DirectoryService(h.Context).RemoveMembers("Teachers", [Person(2)]);
            killed = () => new SyncService(dying).SyncAsync(new TokenService(dying).Get(h.Token.Id), forceFull: false, CancellationToken.None);
        }

        kill.Arm(write, point);
        var error = await Record.ExceptionAsync(() => killed().WaitAsync(Guard));
        Assert.True(kill.Fired, $"the run never reached {point} of {write}: {error}");
        Assert.IsType<SimulatedCrash>(error);

        // One clean run, as a new process would start it.
        await h.SyncAsync().WaitAsync(Guard);
        var expected = write == "subscriptions/associate"
            ? new SortedDictionary<string, string> { [Person(1)] = "renewing", [Person(2)] = "renewing", [ViaGroupUser] = "renewing" }
            : new SortedDictionary<string, string> { [Person(1)] = "renewing", [ViaGroupUser] = "renewing" };
        Assert.Equal(expected, SimSeats(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.Equal(0, OpenOperations(h));
        Assert.Empty(Plan(h));
        // Every seat VppPS gave is its own, so Uninstall takes all of them back.
        Assert.True(Seat(h, 1).ByAssignment);
        await SetAsync(h.Context, "Teachers", AssignmentIntent.Uninstall, immediately: true).WaitAsync(Guard);
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));
    }

    [Fact]
    public async Task Removing_a_seat_holder_from_the_directory_warns_before_the_retire_which_releases_the_seat_at_once()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Teachers", 1, 2);
        await SetAsync(h.Context, "Teachers");
        var person1 = ClientUserIds(h)[Person(1)];
        var availableBefore = SimReads(h).AvailableRenewing;
        var observer = new Apple.RecordingObserver();
        var context = new VppContext(h.Context.Session, "xunit", observer);
        string[] Warnings() => observer.VerboseLines.Where(l => l.StartsWith("WARNING: ", StringComparison.Ordinal)).ToArray();

        // -WhatIf (a rolled-back removal) warns too, and changes nothing.
        Assert.True(new DirectoryService(context).RemoveUser(Person(1), commit: false));
        var whatIf = Assert.Single(Warnings());
        Assert.Contains($"'{Person(1)}' holds subscription seats: '{ReadsLabel}' under '{h.CurrentToken.Name}'", whatIf);
        Assert.Contains("releases these seats at once", whatIf);
        Assert.Single(ClientUserIds(h), p => p.Key == Person(1));
        Assert.Empty(Plan(h));

        // Import-VppDirectory -Prune of a file without the person says the same (here with -WhatIf).
        observer.VerboseLines.Clear();
        var csv = Path.Combine(Path.GetTempPath(), $"seats-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(csv, $"Type,UserPrincipalName,Mail,Groups\nUser,{Person(2)},{Person(2)},Teachers\n");
            Assert.Equal(1, new DirectoryService(context).Import(csv, prune: true, commit: false).UsersRemoved);
        }
        finally { File.Delete(csv); }
        Assert.Contains($"'{Person(1)}' holds subscription seats", Assert.Single(Warnings()));
        Assert.Single(ClientUserIds(h), p => p.Key == Person(1));

        observer.VerboseLines.Clear();
        Assert.True(new DirectoryService(context).RemoveUser(Person(1)));
        Assert.Contains($"'{Person(1)}' holds subscription seats", Assert.Single(Warnings()));
        // The plan says what the retire costs.
        var retire = Assert.Single(new AssignmentService(h.Context).PlanItems(h.CurrentToken), i => i.Action == PlanAction.RetireVppUser);
        Assert.Equal((Person(1), person1), (retire.Target, retire.ClientUserId));
        Assert.Contains($"Apple releases at once the subscription seat(s) it holds of '{ReadsLabel}'", retire.Reason);

        // The apply warns before it retires; Apple releases the seat at once, and the next sync shows it free.
        observer.VerboseLines.Clear();
        await new SyncService(context).SyncAsync(h.CurrentToken, false, CancellationToken.None);
        var applyWarning = Assert.Single(Warnings(), w => w.Contains("Retiring the VPP user", StringComparison.Ordinal));
        Assert.Contains($"'{Person(1)}' ({person1}) under '{h.CurrentToken.Name}' releases at once the subscription seat(s) it holds of '{ReadsLabel}'", applyWarning);
        Assert.Equal("Retired", h.Sim.GetUsers(School).Last(u => u.ClientUserId == person1).Status);
        Assert.False(SimSeats(h).ContainsKey(Person(1)));
        Assert.Equal(availableBefore + 1, SimReads(h).AvailableRenewing);
        await h.SyncAsync();
        Assert.DoesNotContain(new SubscriptionService(h.Context).Seats(), s => s.ClientUserId == person1);
        Assert.Equal(availableBefore + 1, new SubscriptionService(h.Context).List().Single(s => s.AdamId == ReadsId).AvailableRenewing);
        Assert.Empty(Plan(h));
        Assert.Empty(new AssignmentService(h.Context).PlanItems(h.CurrentToken));
    }

    [Fact]
    public async Task Removing_the_token_is_refused_while_VppPS_holds_seats_and_revoking_takes_them_back_at_once_journaled()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Teachers", 1, 2);
        await SetAsync(h.Context, "Teachers");
        // Person 2 leaves: the seat ends at the period end, but VppPS still holds it until then.
        new DirectoryService(h.Context).RemoveMembers("Teachers", [Person(2)]);
        await new AssignmentService(h.Context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None);
        Assert.True(Seat(h, 2).Ending);
        var removal = new TokenRemoval(h.Context);
        Assert.Equal(2, removal.ManagedSeats(h.Token.Id).Count);

        var refused = await Assert.ThrowsAsync<VppException>(() => removal.RemoveAsync(h.Token.Id, LicensePolicy.Refuse, CancellationToken.None));
        Assert.Equal(("VppTokenHasLicenses", VppErrorKind.Conflict), (refused.ErrorId, refused.Kind));
        Assert.Contains("2 subscription seat(s) of 1 subscription(s) to 2 user(s)", refused.Message);
        Assert.Contains("-RevokeLicenses", refused.Message);
        Assert.Equal(h.Token.Id, h.CurrentToken.Id);

        var summary = await removal.RemoveAsync(h.Token.Id, LicensePolicy.Revoke, CancellationToken.None);
        Assert.Contains("after reclaiming 2 subscription seat(s)", summary);
        // Both at once, the ending one too: only the seat from Apple School Manager's group is left.
        Assert.Equal(new[] { ViaGroupUser }, h.Sim.GetSubscriptionAssignments(School).Where(a => a.AdamId == Reads).Select(a => a.ClientUserId));
        Assert.DoesNotContain(h.Sim.GetSubscriptionAssignments(School), a => a.DeferredEventId is not null);
        Assert.Empty(h.Tokens.List());
        // The audit journal says what was taken back (the request's own row went with the token).
        var removed = Assert.Single(h.Context.Journal.Read(new AuditQuery(TargetPattern: "token:*"), 0, 100), e => e.Action == "Remove");
        Assert.Contains("after reclaiming 2 subscription seat(s)", removed.Summary);
    }

    [Fact]
    public async Task Add_VppAppLicense_gives_a_user_a_seat_directly_never_beyond_those_available_and_refuses_devices()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Staff", 1, 2, 3, 4);   // in the directory; no assignment of the subscription
        var service = new AssignmentService(h.Context);
        var reads = new AssetSelector(ReadsId, null, null);

        // A seat that lapses takes the expiring seat; renewing ones take renewing seats.
        var first = await service.AddLicenseAsync(reads, Person(1), null, force: false, CancellationToken.None, renewing: false);
        Assert.Equal((1, 0), (first.SeatsAssociated, first.Failed));
        Assert.Equal((await service.AddLicenseAsync(reads, Person(2), null, false, CancellationToken.None)).SeatsAssociated,
            (await service.AddLicenseAsync(reads, Person(3), null, false, CancellationToken.None)).SeatsAssociated);
        Assert.Equal(new SortedDictionary<string, string> { [Person(1)] = "expiring", [Person(2)] = "renewing", [Person(3)] = "renewing", [ViaGroupUser] = "renewing" }, SimSeats(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.False(Seat(h, 2).ByAssignment);

        // None left: refused, nothing asked of Apple, nothing kept to give later.
        var shortage = await Assert.ThrowsAsync<VppException>(() => service.AddLicenseAsync(reads, Person(4), null, false, CancellationToken.None));
        Assert.Equal(("VppLicenseShortage", VppErrorKind.LimitExceeded), (shortage.ErrorId, shortage.Kind));
        Assert.Contains("no renewing seat left for 'person4@seat.example'", shortage.Message);
        Assert.False(SimSeats(h).ContainsKey(Person(4)));
        Assert.Empty(Plan(h));

        // Users only: a device, or -Renewing for an app, is refused with what to do.
        var device = await Assert.ThrowsAsync<VppException>(() => service.AddLicenseAsync(reads, null, "DMPXK2L1HP7M", false, CancellationToken.None));
        Assert.Equal(("VppSubscriptionUsersOnly", VppErrorKind.InvalidArgument), (device.ErrorId, device.Kind));
        Assert.Contains("Give -User instead", device.Message);

        // Taken back at once: the seat is free again and the plan does not give it again.
        var back = await service.RemoveLicensesAsync(reads, [Person(2)], null, null, all: false, includeUnmanaged: false, CancellationToken.None, immediately: true);
        Assert.Equal(1, back.SeatsDisassociated);
        Assert.False(SimSeats(h).ContainsKey(Person(2)));
        Assert.Empty(Plan(h));
        // Taken back at the period end: the plan does not cancel the reclaim.
        await service.RemoveLicensesAsync(reads, [Person(3)], null, null, all: false, includeUnmanaged: false, CancellationToken.None);
        Assert.True(Seat(h, 3).Ending);
        Assert.Empty(Plan(h));

        // The lapsing seat is given for its billing period only: after the period end it is not given again.
        h.Sim.AdvanceClock(TimeSpan.FromDays(11));
        await h.SyncAsync();
        Assert.False(SimSeats(h).ContainsKey(Person(1)));
        Assert.False(SimSeats(h).ContainsKey(Person(3)));
        Assert.Empty(Plan(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
    }

    [Fact]
    public async Task An_assignment_of_seats_that_lapse_covers_the_billing_period_it_was_set_in_and_setting_it_again_covers_the_next()
    {
        await using var h = await StartAsync();
        UserGroup(h.Context, "Teachers", 1, 2);
        var set = await SetAsync(h.Context, "Teachers", renewing: false);
        Assert.Equal(2, set.Applied!.SeatsAssociated);
        var periodEnd = new SubscriptionService(h.Context).List().Single(s => s.AdamId == ReadsId).PeriodEndDate;
        Assert.Equal((false, periodEnd, false), (set.Assignment.Renewing, set.Assignment.CoversPeriodEnd, set.Assignment.Lapsed));

        // The period ends: Apple ends the seats; the assignment gives none again, not to a new member either.
        h.Sim.AdvanceClock(TimeSpan.FromDays(11));
        await h.SyncAsync();
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));
        Assert.Empty(Plan(h));
        var lapsed = Assert.Single(new AssignmentService(h.Context).List());
        Assert.True(lapsed.Lapsed);
        Assert.Contains("lapsed", lapsed.ToString());
        new DirectoryService(h.Context).AddMembers("Teachers", [new MemberInput { UserPrincipalName = Person(3), Mail = Person(3) }]);
        await h.SyncAsync();
        Assert.Empty(Plan(h));
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));

        // Set again: it covers the new billing period (2 renewing seats are left: the third member waits).
        var again = await SetAsync(h.Context, "Teachers", renewing: false, allowShortage: true);
        Assert.Equal((2, 1), (again.Applied!.SeatsAssociated, again.Applied.Waiting));
        var newEnd = new SubscriptionService(h.Context).List().Single(s => s.AdamId == ReadsId).PeriodEndDate;
        Assert.True(newEnd > periodEnd);
        Assert.Equal((newEnd, false), (again.Assignment.CoversPeriodEnd, again.Assignment.Lapsed));
        Assert.Equal("expiring", SimSeats(h)[Person(1)]);
    }

    /// <summary>Passes requests to the simulator; counts seat associations by the users they carry, and answers the first with <see cref="RefuseFirstWith"/> when set.</summary>
    private sealed class SeatRequests() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int? RefuseFirstWith { get; set; }
        public System.Collections.Concurrent.ConcurrentQueue<int> Associations { get; } = new();
        public int ConfigReads;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/service/config", StringComparison.Ordinal)) Interlocked.Increment(ref ConfigReads);
            if (request.Method == HttpMethod.Post && request.RequestUri.AbsolutePath.EndsWith("/subscriptions/associate", StringComparison.Ordinal))
            {
                using var body = System.Text.Json.JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
                Associations.Enqueue(body.RootElement.GetProperty("clientUserIds").GetArrayLength());
                if (RefuseFirstWith is { } number)
                {
                    RefuseFirstWith = null;
                    return new HttpResponseMessage(System.Net.HttpStatusCode.BadRequest)
                    {
                        Content = new StringContent($$"""{"errorNumber":{{number}},"errorMessage":"refused by the test"}""", System.Text.Encoding.UTF8, "application/json"),
                    };
                }
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task Seat_requests_stay_within_the_limits_read_and_a_9816_after_they_were_lowered_reads_them_anew_and_sends_smaller_requests()
    {
        await using var h = await StartAsync();   // service/config read (maxSubscriptionClientUserIds 1000) and kept for 5 minutes
        h.Sim.BuySubscriptionSeats(School, Reads, renewing: 10);   // person 9 is Apple School Manager's group user: left out here
        using var requests = new SeatRequests();
        using var http = new HttpClient(requests);
        var context = new VppContext(h.Context.Session, "xunit", new Apple.RecordingObserver()) { AppleHttp = http };
        UserGroup(context, "Teachers", 1, 2, 3, 4, 5);

        // Apple lowers the limit meanwhile: the request of 5 is refused whole (9816); the limits are read anew and it goes again as 2 + 2 + 1.
        h.Sim.SetLimits(new Dictionary<string, int> { ["maxSubscriptionClientUserIds"] = 2 });
        var set = await SetAsync(context, "Teachers", allowShortage: true);
        Assert.Equal((5, 0), (set.Applied!.SeatsAssociated, set.Applied.Failed));
        Assert.Equal([5, 2, 2, 1], requests.Associations);
        Assert.Equal(1, requests.ConfigReads);
        Assert.Equal(6, SimSeats(h).Count);
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.Equal(0, OpenOperations(h));

        // The limit read is kept: new members go in requests within it from the start.
        requests.Associations.Clear();
        new DirectoryService(context).AddMembers("Teachers", new[] { 6, 7, 8 }.Select(i => new MemberInput { UserPrincipalName = Person(i), Mail = Person(i) }).ToList());
        await new AssignmentService(context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None);
        Assert.Equal([2, 1], requests.Associations);

        // 9805 (the number Apple gave before 2026-08-13) is read the same; limits unchanged: the request goes again in halves.
        requests.Associations.Clear();
        requests.RefuseFirstWith = 9805;
        new DirectoryService(context).AddMembers("Teachers", new[] { 10, 11 }.Select(i => new MemberInput { UserPrincipalName = Person(i), Mail = Person(i) }).ToList());
        var applied = await new AssignmentService(context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None);
        Assert.Equal((2, 0), (applied.SeatsAssociated, applied.Failed));
        Assert.Equal([2, 1, 1], requests.Associations);
        Assert.Equal(2, requests.ConfigReads);

        // Limits that allow no request at all: a clear error, nothing left open.
        h.Sim.SetLimits(new Dictionary<string, int> { ["maxSubscriptionClientUserIds"] = 0 });
        new DirectoryService(context).AddMembers("Teachers", [new MemberInput { UserPrincipalName = Person(12), Mail = Person(12) }]);
        var refused = await Assert.ThrowsAsync<VppException>(() => new AssignmentService(context).ApplyAsync(h.CurrentToken, refreshCounts: false, CancellationToken.None));
        Assert.Equal(("VppSubscriptionLimitExceeded", 9816), (refused.ErrorId, refused.AppleErrorNumber));
        Assert.Contains("also after VppPS read the limits anew", refused.Message);
        Assert.Contains("run Sync-VppToken later", refused.Message);
        Assert.Equal(0, OpenOperations(h));
    }

    /// <summary>Counts the subscriptions/disassociate requests that reach the simulator.</summary>
    private sealed class DisassociationCounter() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/subscriptions/disassociate", StringComparison.Ordinal))
                Interlocked.Increment(ref Requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task An_immediate_reclaim_Apple_refuses_with_9815_records_the_seat_taken_back_meanwhile_and_sends_the_rest_again()
    {
        await using var h = await StartAsync();
        using var counter = new DisassociationCounter();
        using var http = new HttpClient(counter);
        var context = new VppContext(h.Context.Session, "xunit", NullObserver.Instance) { AppleHttp = http };
        UserGroup(context, "Teachers", 1, 2);
        await SetAsync(context, "Teachers").WaitAsync(Guard);
        Assert.Equal(new SortedDictionary<string, string> { [Person(1)] = "renewing", [Person(2)] = "renewing", [ViaGroupUser] = "renewing" }, SimSeats(h));

        // Someone takes person 1's seat back at Apple, at once, outside VppPS: the state still lists it.
        using (var outside = new HttpClient())
        using (var request = new HttpRequestMessage(HttpMethod.Post, h.Host.AppleBaseUrl + "/subscriptions/disassociate")
        {
            Content = new StringContent($$"""{"adamIds":[{{Reads}}],"clientUserIds":["{{ClientUserIds(h)[Person(1)]}}"],"deferred":false}""", System.Text.Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", h.Host.TokenFiles.Single(t => t.LocationName == School).SToken);
            (await outside.SendAsync(request)).EnsureSuccessStatusCode();
        }
        Assert.False(SimSeats(h).ContainsKey(Person(1)));
        Assert.True(StateSeats(h).ContainsKey(Person(1)));

        // VppPS takes both back at once: Apple refuses the request whole (9815, person 1 holds none); VppPS reads the holders,
        // records person 1's seat as gone, and sends person 2's again.
        var back = await new AssignmentService(context).RemoveLicensesAsync(new AssetSelector(ReadsId, null, null), null, null, "Teachers", all: false, includeUnmanaged: false,
            CancellationToken.None, immediately: true).WaitAsync(Guard);
        Assert.Equal((2, 0), (back.SeatsDisassociated, back.Failed));
        Assert.Equal(2, counter.Requests);
        Assert.Equal(new SortedDictionary<string, string> { [ViaGroupUser] = "renewing" }, SimSeats(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
        Assert.Equal(0, OpenOperations(h));
    }
}
