using System.Text.Json;

namespace VppPS.Simulator.Tests;

/// <summary>Scenarios shaped after the examples of spec §2.10 (adamId 12345, parentAdamId 54321, "vpp-user", "user-1"...).</summary>
internal static class SubScenarios
{
    public const long Sub = 12345;          // Apple's example subscription, parent 54321
    public const long Sub2 = 12346;         // a second subscription of parent 54321
    public const long Paused = 22222;       // PAUSED, parent 65432
    public const long Lapsing = 33333;      // no parent (null), 4 renewing + 2 expiring seats, period ends in 10 days
    public const long Empty = 44444;        // a zero-count entry
    public const string School = "Test School";

    /// <summary>
    /// Test School with subscription management enabled and Apple's example counts for 12345 after
    /// <see cref="MakeExampleCountsAsync"/>: users user-1..user-100, vpp-user (Associated, with an idHash),
    /// group-user (holds 12346 through group membership).
    /// </summary>
    public static SimulatorScenario Examples(int pageSize = 1000, Action<ScenarioLocation>? tweak = null) => Scenarios.Small(s =>
    {
        s.PageSize = pageSize;
        var l = s.Locations[0];
        l.SubscriptionManagement = true;
        for (int i = 1; i <= 100; i++) l.Users.Add(new ScenarioUser { ClientUserId = $"user-{i}", Status = "Associated" });
        l.Users.Add(new ScenarioUser { ClientUserId = "vpp-user", Status = "Associated", IdHash = "rRVS8rlBrJjRqYwL8aNGDJG2CbU=" });
        l.Users.Add(new ScenarioUser { ClientUserId = "group-user", Status = "Associated" });
        l.Subscriptions.Add(new ScenarioSubscription { AdamId = Sub, ParentAdamId = 54321, Name = "Example", PeriodEndDate = "2027-01-15", Total = new() { Renewing = 100, Expiring = 20 } });
        l.Subscriptions.Add(new ScenarioSubscription { AdamId = Sub2, ParentAdamId = 54321, PeriodEndDate = "2027-01-15", Total = new() { Renewing = 5 } });
        l.Subscriptions.Add(new ScenarioSubscription { AdamId = Paused, ParentAdamId = 65432, Status = "PAUSED", Total = new() { Renewing = 5 } });
        l.Subscriptions.Add(new ScenarioSubscription { AdamId = Lapsing, PeriodEndsInDays = 10, BillingPeriodDays = 30, Total = new() { Renewing = 4, Expiring = 2 } });
        l.Subscriptions.Add(new ScenarioSubscription { AdamId = Empty, ParentAdamId = 54321 });
        // 12345: user-1 renewing, user-2 expiring, user-3..86 renewing (85 renewing seats), user-87..100 expiring (15 expiring seats)
        l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Sub, ClientUserId = "user-1" });
        l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Sub, ClientUserId = "user-2", Renewing = false });
        for (int i = 3; i <= 86; i++) l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Sub, ClientUserId = $"user-{i}" });
        for (int i = 87; i <= 100; i++) l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Sub, ClientUserId = $"user-{i}", Renewing = false });
        l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Sub2, ClientUserId = "group-user", ViaGroup = true });
        l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Lapsing, ClientUserId = "client-1" });
        l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Lapsing, ClientUserId = "client-2", Renewing = false });
        l.SubscriptionAdmins.Add(new ScenarioSubscriptionAdmin { AdamId = Sub, ClientUserId = "vpp-user" });
        tweak?.Invoke(l);
    });

    /// <summary>Five renewing holders of 12345 keep their renewing seats with renewing: false: Apple's example counts (80/20, 15/5, 100/20).</summary>
    public static async Task MakeExampleCountsAsync(Sim sim)
    {
        var r = await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-82", "user-83", "user-84", "user-85", "user-86" }, renewing = false });
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
    }

    public static SimSubscriptionSnapshot Snapshot(Sim sim, long adamId, string location = School) =>
        sim.State.GetSubscriptions(location).Single(s => s.AdamId == adamId);

    /// <summary>The invariant of §2.10.2 over the sums, and the counts against the live assignments.</summary>
    public static void AssertSeatsAddUp(SimulatorState state, string location = School)
    {
        var assignments = state.GetSubscriptionAssignments(location);
        foreach (var s in state.GetSubscriptions(location))
        {
            Assert.Equal(s.TotalRenewing + s.TotalExpiring, s.AssignedRenewing + s.AssignedExpiring + s.AvailableRenewing + s.AvailableExpiring);
            Assert.True(s.AvailableRenewing >= 0 && s.AvailableExpiring >= 0, $"{s.AdamId}: negative availability");
            var mine = assignments.Where(a => a.AdamId == s.AdamId).ToList();
            Assert.Equal(s.AssignedRenewing, mine.Count(a => a.Renewing));
            Assert.Equal(s.AssignedExpiring, mine.Count(a => !a.Renewing));
            Assert.Equal(s.TotalRenewing - s.AvailableRenewing, mine.Count(a => a.SeatRenewing));
            Assert.DoesNotContain(mine, a => a.Renewing && !a.SeatRenewing);
        }
    }

    public static int[] Breakdown(JsonElement counts, string name) =>
        [counts.GetProperty(name).GetProperty("renewing").GetInt32(), counts.GetProperty(name).GetProperty("expiring").GetInt32()];

    /// <summary>Subscription notifications logged so far (bodies), of one type.</summary>
    public static List<JsonElement> Notifications(Sim sim, string type) =>
        sim.State.Notifications.Where(n => n.NotificationType == type).Select(n => JsonDocument.Parse(n.Body).RootElement.Clone()).ToList();
}
