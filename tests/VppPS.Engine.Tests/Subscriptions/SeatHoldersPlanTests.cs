using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;
using VppPS.Engine.Tests.Assignments;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Subscriptions;

/// <summary>
/// Members who hold a seat already, under a VPP user the location had before VppPS (given by hand,
/// or through a group in Apple School Manager, which Apple would refuse to change with 9817): the
/// plan -WhatIf and Get-VppAssignmentPlan show is the one the apply carries out (their VPP users
/// adopted first, no seat planned for them), and the assignment counts them as licensed.
/// </summary>
[Collection("Simulator")]
public sealed class SeatHoldersPlanTests
{
    private const string School = "Holder School";
    private const long Reads = 1700000002;
    private const string ReadsId = "1700000002";

    private static string Person(string name) => $"{name}@holder.example";

    /// <summary>
    /// 4 renewing seats: Ann holds one given before VppPS, Bob one through a group in Apple School
    /// Manager; Cleo has a VPP user without a seat; Dan has none. 2 seats are available.
    /// </summary>
    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Holder District", LocationName = School, SubscriptionManagement = true,
                Users =
                {
                    new ScenarioUser { ClientUserId = "outside-ann", Email = Person("ann"), Status = "Associated", IdHash = "a1" },
                    new ScenarioUser { ClientUserId = "asm-bob", Email = Person("bob"), Status = "Associated", IdHash = "b1" },
                    new ScenarioUser { ClientUserId = "outside-cleo", Email = Person("cleo"), Status = "Registered" },
                },
                Subscriptions =
                {
                    new ScenarioSubscription { AdamId = Reads, ParentAdamId = 719219382, Name = "Holder Reads", PeriodEndsInDays = 10, BillingPeriodDays = 30,
                        Total = new ScenarioSeats { Renewing = 4, Expiring = 0 } },
                },
                SubscriptionAssignments =
                {
                    new ScenarioSubscriptionAssignment { AdamId = Reads, ClientUserId = "outside-ann", Renewing = true },
                    new ScenarioSubscriptionAssignment { AdamId = Reads, ClientUserId = "asm-bob", Renewing = true, ViaGroup = true },
                },
            },
        },
    };

    private static async Task<EngineHarness> StartAsync()
    {
        var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Readers", DirectoryKind.User, null);
        directory.AddMembers("Readers", new[] { "ann", "bob", "cleo", "dan" }.Select(n => new MemberInput { UserPrincipalName = Person(n), Mail = Person(n) }).ToList());
        return h;
    }

    private static SetAssignmentRequest Request() => new(new AssetSelector(ReadsId, null, null), "Readers", AssignmentIntent.Required, null, false);

    /// <summary>What a plan says, one line per item: action and person (seats of other subscriptions left out).</summary>
    private static List<string> Lines(IEnumerable<PlanItem> plan) =>
        plan.Where(i => i.AdamId is "" or ReadsId).Select(i => $"{i.Action} {i.Target}").Order(StringComparer.Ordinal).ToList();

    private static readonly List<string> Expected =
    [
        $"AdoptVppUser {Person("ann")}", $"AdoptVppUser {Person("bob")}", $"AdoptVppUser {Person("cleo")}",
        $"Associate {Person("cleo")}", $"Associate {Person("dan")}",
        $"CreateVppUser {Person("dan")}",
    ];

    /// <summary>Holders of the subscription's seats at Apple.</summary>
    private static HashSet<string> SimHolders(EngineHarness h) =>
        h.Sim.GetSubscriptionAssignments(School).Where(a => a.AdamId == Reads).Select(a => a.ClientUserId).ToHashSet(StringComparer.Ordinal);

    /// <summary>People VppPS linked to a VPP user (created or adopted).</summary>
    private static long LinkedUsers(EngineHarness h) => h.Context.Store.Read(c => (long)c.Scalar(null, "SELECT count(*) FROM managed_users")!);

    [Fact]
    public async Task WhatIf_shows_what_the_apply_does_for_members_who_hold_a_seat_already_and_the_assignment_counts_them_licensed()
    {
        await using var h = await StartAsync();
        var service = new AssignmentService(h.Context);
        var before = SimHolders(h);

        // -WhatIf: the existing VPP users linked, then seats only for Cleo and Dan (2 available: no shortage).
        var trial = await service.SetAsync(Request(), whatIf: true, CancellationToken.None);
        Assert.Equal(Expected, Lines(trial.Plan));
        Assert.Empty(service.List());
        Assert.Equal(0, LinkedUsers(h));

        // Applied: the same changes, nothing refused (no seat change is sent for Bob's group seat).
        var result = await service.SetAsync(Request(), whatIf: false, CancellationToken.None);
        var applied = result.Applied!;
        Assert.Equal((3, 1, 2, 0, 0, 0), (applied.UsersAdopted, applied.UsersCreated, applied.SeatsAssociated, applied.Failed, applied.HeldBack, applied.Waiting));
        var given = SimHolders(h).Except(before).ToList();
        Assert.Equal(2, given.Count);
        Assert.Contains("outside-cleo", given);
        Assert.Equal(trial.Plan.Count(i => i.Action == PlanAction.Associate && i.AdamId == ReadsId), applied.SeatsAssociated);

        // Every member holds a seat under the VPP user linked to them: 4 licensed, whoever gave the seat.
        Assert.Equal(4, result.Assignment.LicensedCount);
        Assert.Equal(4, service.Get(result.Assignment.Id).LicensedCount);
        Assert.Empty(service.PlanItems(h.CurrentToken));
    }

    [Fact]
    public async Task Get_VppAssignmentPlan_of_a_saved_assignment_lists_what_the_apply_then_does()
    {
        await using var h = await StartAsync();
        var service = new AssignmentService(h.Context);

        var saved = await service.SetAsync(Request(), whatIf: false, CancellationToken.None, defer: true);
        Assert.Null(saved.Applied);
        var planned = service.PlanItems(h.CurrentToken);
        Assert.Equal(Expected, Lines(planned));
        // Listing the plan changes nothing: the people are not linked yet.
        Assert.Equal(0, LinkedUsers(h));
        Assert.Equal(Expected, Lines(service.PlanItems(h.CurrentToken)));

        var applied = await service.ApplyAsync(h.CurrentToken, refreshCounts: true, CancellationToken.None);
        Assert.Equal((3, 1, 2, 0), (applied.UsersAdopted, applied.UsersCreated, applied.SeatsAssociated, applied.Failed));
        Assert.Equal(4, service.Get(saved.Assignment.Id).LicensedCount);
    }
}
