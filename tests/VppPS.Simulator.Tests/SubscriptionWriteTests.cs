using System.Net;
using System.Text.Json;
using static VppPS.Simulator.Tests.SubScenarios;

namespace VppPS.Simulator.Tests;

/// <summary>Spec §2.10.4-2.10.6 and 2.10.8: associate/disassociate, seats, the period end, admins, errors 9811-9817, notifications.</summary>
public class SubscriptionWriteTests
{
    private static readonly string[] EventResponseKeys = ["eventId", "tokenExpirationDate", "uId"];

    [Fact]
    public async Task Associate_example_renewing_true()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var r = await sim.Post("subscriptions/associate", "{ \"adamIds\": [12345], \"clientUserIds\": [\"vpp-user\"], \"renewing\": true }");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(EventResponseKeys, r.Keys);
        Assert.True(Guid.TryParse(r["eventId"].GetString(), out _));
        var st = await sim.Status(r);
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());
        Assert.Equal("ASSOCIATE", st["eventType"].GetString());
        Assert.Equal(1, st["numRequested"].GetInt32());
        Assert.Equal(1, st["numCompleted"].GetInt32());
        var a = sim.State.GetSubscriptionAssignments(School).Single(x => x.ClientUserId == "vpp-user");
        Assert.Equal((Sub, true, true), (a.AdamId, a.Renewing, a.SeatRenewing));
        var s = Snapshot(sim, Sub);
        Assert.Equal((86, 14), (s.AssignedRenewing, s.AvailableRenewing));
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task Disassociate_example_deferred_completes_at_once_and_takes_effect_at_the_period_end()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l => Subscribe(l, listener)));
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user" }, renewing = true });
        var v0 = (await sim.Get("subscriptions"))["versionId"].GetString();
        var r = await sim.Post("subscriptions/disassociate", "{ \"adamIds\": [12345], \"clientUserIds\": [\"vpp-user\"], \"deferred\": true }");
        Assert.Equal(EventResponseKeys, r.Keys);
        var eventId = r["eventId"].GetString();
        var st = await sim.Status(r);
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());
        Assert.Equal("DISASSOCIATE", st["eventType"].GetString());
        Assert.Equal(1, st["numCompleted"].GetInt32());
        // still listed, unchanged; nothing to notify yet; the data did not change
        var listed = await sim.Get("subscriptions/assignments?clientUserId=vpp-user");
        var row = Assert.Single(listed["assignments"].EnumerateArray());
        Assert.True(row.GetProperty("renewing").GetBoolean());
        Assert.Equal(v0, listed["versionId"].GetString());
        Assert.DoesNotContain(Notifications(sim, "SUBSCRIPTION_MANAGEMENT"), n => n.GetProperty("notification").GetProperty("type").GetString() == "DISASSOCIATE");

        sim.Clock.Set(new DateTimeOffset(2027, 1, 14, 23, 59, 59, TimeSpan.Zero));
        Assert.Single((await sim.Get("subscriptions/assignments?clientUserId=vpp-user"))["assignments"].EnumerateArray());
        sim.Clock.Set(new DateTimeOffset(2027, 1, 15, 0, 0, 0, TimeSpan.Zero));   // the period ends at 00:00 UTC of periodEndDate
        Assert.Equal(0, (await sim.Get("subscriptions/assignments?clientUserId=vpp-user"))["assignments"].GetArrayLength());
        var n = Assert.Single(Notifications(sim, "SUBSCRIPTION_MANAGEMENT"), x => x.GetProperty("notification").GetProperty("type").GetString() == "DISASSOCIATE");
        var payload = n.GetProperty("notification");
        Assert.Equal(eventId, payload.GetProperty("eventId").GetString());
        Assert.Equal("SUCCESS", payload.GetProperty("result").GetString());
        var item = Assert.Single(payload.GetProperty("assignments").EnumerateArray());
        Assert.Equal((12345L, "vpp-user", true), (item.GetProperty("adamId").GetInt64(), item.GetProperty("clientUserId").GetString(), item.GetProperty("renewing").GetBoolean()));
        Assert.Equal(new[] { "notification", "notificationId", "notificationType", "uId" }, n.EnumerateObject().Select(p => p.Name).OrderBy(x => x, StringComparer.Ordinal));
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task An_immediate_disassociation_after_a_deferred_one_removes_at_once_and_a_reassociation_cancels_the_deferral()
    {
        await using var sim = await Sim.StartAsync(Examples());
        await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-1", "user-3" }, deferred = true });
        Assert.Equal(2, sim.State.GetSubscriptionAssignments(School).Count(a => a.DeferredEventId != null));
        var now = await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-1" }, deferred = false });
        Assert.Equal("COMPLETE", (await sim.Status(now))["eventStatus"].GetString());
        Assert.DoesNotContain(sim.State.GetSubscriptionAssignments(School), a => a.ClientUserId == "user-1");
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-3" }, renewing = true });
        Assert.Null(sim.State.GetSubscriptionAssignments(School).Single(a => a.ClientUserId == "user-3").DeferredEventId);
        sim.Clock.Set(new DateTimeOffset(2027, 1, 16, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains(sim.State.GetSubscriptionAssignments(School), a => a.ClientUserId == "user-3" && a.AdamId == Sub);
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task Apples_worked_seat_example_disassociating_renewing_seats_and_the_period_end()
    {
        // 100 renewing seats, 80 assigned renewing, 15 assigned expiring (on renewing seats), 5 available
        var scenario = Scenarios.Small(s =>
        {
            var l = s.Locations[0];
            l.SubscriptionManagement = true;
            for (int i = 1; i <= 95; i++) l.Users.Add(new ScenarioUser { ClientUserId = $"u{i}", Status = "Associated" });
            l.Subscriptions.Add(new ScenarioSubscription { AdamId = Sub, ParentAdamId = 54321, PeriodEndDate = "2027-01-15", BillingPeriodDays = 365, Total = new() { Renewing = 100 } });
            for (int i = 1; i <= 95; i++) l.SubscriptionAssignments.Add(new ScenarioSubscriptionAssignment { AdamId = Sub, ClientUserId = $"u{i}", Renewing = i <= 80 });
        });
        await using var sim = await Sim.StartAsync(scenario);
        async Task<JsonElement> Counts() => (await sim.Get("subscriptions?adamId=12345"))["subscriptions"][0];
        var c = (await Counts()).GetProperty("counts");
        Assert.Equal(new[] { 80, 15 }, Breakdown(c, "assigned"));
        Assert.Equal(new[] { 5, 0 }, Breakdown(c, "available"));
        Assert.Equal(new[] { 100, 0 }, Breakdown(c, "total"));

        var r = await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = Enumerable.Range(1, 10).Select(i => $"u{i}").ToArray() });
        Assert.Equal(10, (await sim.Status(r))["numCompleted"].GetInt32());
        c = (await Counts()).GetProperty("counts");
        Assert.Equal(new[] { 70, 15 }, Breakdown(c, "assigned"));
        Assert.Equal(new[] { 15, 0 }, Breakdown(c, "available"));
        Assert.Equal(new[] { 100, 0 }, Breakdown(c, "total"));

        var v = (await sim.Get("subscriptions"))["versionId"].GetString();
        await AdvanceControlClock(sim, TimeSpan.FromDays(52));   // 2026-11-25 + 52 days = 2027-01-16
        var after = await Counts();
        c = after.GetProperty("counts");
        Assert.Equal(new[] { 70, 0 }, Breakdown(c, "assigned"));
        Assert.Equal(new[] { 30, 0 }, Breakdown(c, "available"));
        Assert.Equal(new[] { 100, 0 }, Breakdown(c, "total"));
        Assert.Equal("2028-01-15", after.GetProperty("periodEndDate").GetString());
        Assert.NotEqual(v, (await sim.Get("subscriptions"))["versionId"].GetString());
        AssertSeatsAddUp(sim.State);
    }

    private static async Task AdvanceControlClock(Sim sim, TimeSpan by)
    {
        using var resp = await sim.Http.PostAsync(sim.Host.ControlBaseUrl + "/clock/advance",
            new StringContent(JsonSerializer.Serialize(new { seconds = (long)by.TotalSeconds }), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
    }

    [Fact]
    public async Task The_period_end_lapses_expiring_seats_renews_renewing_ones_and_sends_SUBSCRIPTION_COUNT()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l => Subscribe(l, listener)));
        // 33333: 4 renewing + 2 expiring seats; client-1 renewing, client-2 expiring (on an expiring seat); period ends 2026-12-05, every 30 days
        var before = Snapshot(sim, Lapsing);
        Assert.Equal((1, 1, 3, 1, 4, 2), (before.AssignedRenewing, before.AssignedExpiring, before.AvailableRenewing, before.AvailableExpiring, before.TotalRenewing, before.TotalExpiring));
        sim.State.AdvanceClock(TimeSpan.FromDays(10));
        var after = Snapshot(sim, Lapsing);
        Assert.Equal((1, 0, 3, 0, 4, 0), (after.AssignedRenewing, after.AssignedExpiring, after.AvailableRenewing, after.AvailableExpiring, after.TotalRenewing, after.TotalExpiring));
        Assert.Equal(new DateOnly(2027, 1, 4), after.PeriodEndDate);
        Assert.Equal(new[] { "client-1" }, sim.State.GetSubscriptionAssignments(School).Where(a => a.AdamId == Lapsing).Select(a => a.ClientUserId));
        var count = Assert.Single(Notifications(sim, "SUBSCRIPTION_COUNT")).GetProperty("notification");
        Assert.Equal(JsonValueKind.Null, count.GetProperty("parentAdamId").ValueKind);
        Assert.Equal(Lapsing, count.GetProperty("adamId").GetInt64());
        var counts = count.GetProperty("counts");
        Assert.Equal(new[] { "available", "total" }, counts.EnumerateObject().Select(p => p.Name));   // no "assigned" in SUBSCRIPTION_COUNT
        Assert.Equal(new[] { 3, 0 }, Breakdown(counts, "available"));
        Assert.Equal(new[] { 4, 0 }, Breakdown(counts, "total"));
        Assert.Empty(Notifications(sim, "SUBSCRIPTION_MANAGEMENT"));   // a lapse is no association change by the server

        // two more periods at once: two period ends, in order
        sim.State.AdvanceClock(TimeSpan.FromDays(60));
        Assert.Equal(new DateOnly(2027, 3, 5), Snapshot(sim, Lapsing).PeriodEndDate);
        Assert.Equal(3, Notifications(sim, "SUBSCRIPTION_COUNT").Count(n => n.GetProperty("notification").GetProperty("adamId").GetInt64() == Lapsing));
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task Seats_renewing_takes_renewing_expiring_takes_expiring_then_renewing_and_the_rest_fail_9709()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l => Subscribe(l, listener)));
        // 33333: available 3 renewing, 1 expiring
        var r = await sim.Post("subscriptions/associate", new { adamIds = new[] { Lapsing }, clientUserIds = new[] { "user-1", "user-2", "user-3" }, renewing = false });
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        var seats = sim.State.GetSubscriptionAssignments(School).Where(a => a.AdamId == Lapsing && a.ClientUserId.StartsWith("user-")).ToList();
        Assert.Equal(new[] { false, true, true }, seats.Select(a => a.SeatRenewing));   // expiring seat first, then renewing ones
        Assert.All(seats, a => Assert.False(a.Renewing));
        // 1 renewing seat left: vpp-user gets it, user-4 and user-5 fail (request order)
        var f = await sim.Post("subscriptions/associate", new { adamIds = new[] { Lapsing }, clientUserIds = new[] { "vpp-user", "user-4", "user-5" }, renewing = true });
        var st = await sim.Status(f);
        Assert.Equal("FAILED", st["eventStatus"].GetString());
        Assert.Equal(3, st["numRequested"].GetInt32());
        Assert.Equal(1, st["numCompleted"].GetInt32());
        var failure = Assert.Single(st["failures"].EnumerateArray());
        Assert.Equal(9709, failure.GetProperty("errorNumber").GetInt32());
        Assert.Equal(new[] { "user-4", "user-5" }, failure.GetProperty("errorInfo").GetProperty("clientUserIds").EnumerateArray().Select(x => x.GetString()));
        var s = Snapshot(sim, Lapsing);
        Assert.Equal((0, 0), (s.AvailableRenewing, s.AvailableExpiring));
        // notifications: one SUCCESS with the applied user, one FAILURE with the error and the failed ones
        var mine = Notifications(sim, "SUBSCRIPTION_MANAGEMENT").Select(n => n.GetProperty("notification"))
            .Where(n => n.GetProperty("eventId").GetString() == f["eventId"].GetString()).ToList();
        Assert.Equal(2, mine.Count);
        Assert.Equal("vpp-user", Assert.Single(mine[0].GetProperty("assignments").EnumerateArray()).GetProperty("clientUserId").GetString());
        Assert.Equal("FAILURE", mine[1].GetProperty("result").GetString());
        Assert.Equal(9709, mine[1].GetProperty("error").GetProperty("errorNumber").GetInt32());
        Assert.Equal(2, mine[1].GetProperty("assignments").GetArrayLength());
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task Associating_a_held_subscription_again_keeps_the_seat_and_takes_the_new_flag()
    {
        await using var sim = await Sim.StartAsync(Examples());
        int Used(long id) => Snapshot(sim, id) is var s ? s.TotalRenewing - s.AvailableRenewing + s.TotalExpiring - s.AvailableExpiring : 0;
        var used = Used(Sub);
        // renewing -> expiring: stays on its renewing seat, shows as assigned.expiring
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-1" }, renewing = false });
        var a = sim.State.GetSubscriptionAssignments(School).Single(x => x.AdamId == Sub && x.ClientUserId == "user-1");
        Assert.Equal((false, true), (a.Renewing, a.SeatRenewing));
        // expiring on an expiring seat -> renewing: moves to a renewing seat
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-2" }, renewing = true });
        a = sim.State.GetSubscriptionAssignments(School).Single(x => x.AdamId == Sub && x.ClientUserId == "user-2");
        Assert.Equal((true, true), (a.Renewing, a.SeatRenewing));
        Assert.Equal(used, Used(Sub));
        // same flag again: nothing changes, not even the versionId
        var v = sim.State.GetLocation(School).SubscriptionVersionId;
        var r = await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-2" } });   // renewing omitted = true
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        Assert.Equal(v, sim.State.GetLocation(School).SubscriptionVersionId);
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task A_change_to_renewing_without_a_renewing_seat_fails_9709_and_keeps_the_assignment()
    {
        await using var sim = await Sim.StartAsync(Examples());
        // 33333: fill the 3 free renewing seats, then client-2 (expiring seat) asks for renewing
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Lapsing }, clientUserIds = new[] { "user-1", "user-2", "user-3" }, renewing = true });
        var st = await sim.Status(await sim.Post("subscriptions/associate", new { adamIds = new[] { Lapsing }, clientUserIds = new[] { "client-2" }, renewing = true }));
        Assert.Equal("FAILED", st["eventStatus"].GetString());
        Assert.Equal(9709, st["failures"][0].GetProperty("errorNumber").GetInt32());
        var a = sim.State.GetSubscriptionAssignments(School).Single(x => x.AdamId == Lapsing && x.ClientUserId == "client-2");
        Assert.Equal((false, false), (a.Renewing, a.SeatRenewing));
        AssertSeatsAddUp(sim.State);
    }

    public static IEnumerable<object[]> ValidationCases() => new List<object[]>
    {
        // 1. 9811: shape
        new object[] { "subscriptions/associate", "[1]", 9811 },
        new object[] { "subscriptions/associate", "not json", 9811 },
        new object[] { "subscriptions/associate", "{\"clientUserIds\":[\"vpp-user\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[],\"clientUserIds\":[\"vpp-user\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":12345,\"clientUserIds\":[\"vpp-user\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345,12345],\"clientUserIds\":[\"vpp-user\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\",\"vpp-user\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[7]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\"],\"serialNumbers\":[]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"serialNumbers\":[\"C02000000001\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\"],\"renewing\":\"yes\"}", 9811 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345],\"clientUserIds\":[\"user-1\"],\"deferred\":1}", 9811 },
        // 2. 9816: limits (maxSubscriptions 2, maxSubscriptionClientUserIds 3 in this test)
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345,12346,33333],\"clientUserIds\":[\"vpp-user\"]}", 9816 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"user-1\",\"user-2\",\"user-3\",\"user-4\"]}", 9816 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345],\"clientUserIds\":[\"user-1\",\"user-2\",\"user-3\",\"user-4\"],\"deferred\":true}", 9816 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345,12346,33333],\"clientUserIds\":[\"user-1\"]}", 9816 },
        // 9816 comes before 9813 (unknown subscription), 9814 (unknown users) and 9815; a duplicate (9811) before 9816
        new object[] { "subscriptions/associate", "{\"adamIds\":[99999],\"clientUserIds\":[\"ghost-1\",\"ghost-2\",\"ghost-3\",\"ghost-4\"]}", 9816 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\",\"ghost-2\",\"ghost-3\",\"ghost-4\"]}", 9816 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"user-1\",\"user-1\",\"user-2\",\"user-3\",\"user-4\"]}", 9811 },
        new object[] { "subscriptions/admins/add", "{\"adamIds\":[12345],\"clientUserIds\":[\"user-1\",\"user-2\",\"user-3\",\"user-4\"]}", 9816 },
        // 3. 9813: not a JSON integer, or not a subscription of the unit
        new object[] { "subscriptions/associate", "{\"adamIds\":[\"12345\"],\"clientUserIds\":[\"vpp-user\"]}", 9813 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345.5],\"clientUserIds\":[\"vpp-user\"]}", 9813 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[99999],\"clientUserIds\":[\"vpp-user\"]}", 9813 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[361285480],\"clientUserIds\":[\"vpp-user\"]}", 9813 },
        // 4. 9811: association with a subscription that is not ACTIVE
        new object[] { "subscriptions/associate", "{\"adamIds\":[22222],\"clientUserIds\":[\"vpp-user\"]}", 9811 },
        // 5. 9814: not an active user
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"ghost\"]}", 9814 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"client-old\"]}", 9814 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345],\"clientUserIds\":[\"ghost\"]}", 9814 },
        // 6. 9817: a seat from group membership
        new object[] { "subscriptions/associate", "{\"adamIds\":[12346],\"clientUserIds\":[\"group-user\"],\"renewing\":false}", 9817 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12346],\"clientUserIds\":[\"group-user\"]}", 9817 },
        // 7. 9815: disassociating a seat the user does not hold
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\"]}", 9815 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12345,33333],\"clientUserIds\":[\"user-1\"],\"deferred\":true}", 9815 },
        // the order: the earlier check wins
        new object[] { "subscriptions/associate", "{\"adamIds\":[12345,12346,33333],\"clientUserIds\":[\"vpp-user\"],\"serialNumbers\":[\"S\"]}", 9811 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[\"x\",\"y\",\"z\"],\"clientUserIds\":[\"vpp-user\"]}", 9816 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[99999],\"clientUserIds\":[\"ghost\"]}", 9813 },
        new object[] { "subscriptions/associate", "{\"adamIds\":[22222],\"clientUserIds\":[\"ghost\"]}", 9811 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12346],\"clientUserIds\":[\"ghost\",\"group-user\"]}", 9814 },
        new object[] { "subscriptions/disassociate", "{\"adamIds\":[12346],\"clientUserIds\":[\"vpp-user\",\"group-user\"]}", 9817 },
        // admins: 9811, 9816, 9813, 9814 (status does not matter: 22222 is PAUSED)
        new object[] { "subscriptions/admins/add", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\"],\"serialNumbers\":[\"S\"]}", 9811 },
        new object[] { "subscriptions/admins/add", "{\"adamIds\":[12345]}", 9811 },
        new object[] { "subscriptions/admins/add", "{\"adamIds\":[12345,12346,33333],\"clientUserIds\":[\"vpp-user\"]}", 9816 },
        new object[] { "subscriptions/admins/remove", "{\"adamIds\":[\"12345\"],\"clientUserIds\":[\"vpp-user\"]}", 9813 },
        new object[] { "subscriptions/admins/add", "{\"adamIds\":[22222],\"clientUserIds\":[\"ghost\"]}", 9814 },
    };

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public async Task Validation_is_synchronous_in_the_order_of_2_10_4_and_changes_nothing(string path, string body, int error)
    {
        await using var sim = await Sim.StartAsync(Tweak(Examples()));
        var before = sim.State.GetLocation(School);
        var assignments = sim.State.GetSubscriptionAssignments(School);
        var r = await sim.Post(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(error, r.ErrorNumber);
        Assert.Equal(new[] { "errorMessage", "errorNumber" }, r.Keys);
        Assert.Equal(ExpectedMessage(error), r["errorMessage"].GetString());
        var after = sim.State.GetLocation(School);
        Assert.Equal(before.SubscriptionVersionId, after.SubscriptionVersionId);
        Assert.Equal(before.VersionId, after.VersionId);
        Assert.Equal(assignments, sim.State.GetSubscriptionAssignments(School));

        static SimulatorScenario Tweak(SimulatorScenario s)
        {
            s.Limits!["maxSubscriptions"] = 2;
            s.Limits["maxSubscriptionClientUserIds"] = 3;
            return s;
        }
    }

    private static string ExpectedMessage(int error) => error switch
    {
        9811 => "The subscription association request is invalid.",
        9812 => "The provided cursor is invalid.",
        9813 => "The provided Adam ID is invalid.",
        9814 => "Unable to find an associated registered user for the provided clientUserId.",
        9815 => "The registered user isn't assigned the requested adamId.",
        9816 => "This request exceeds the maximum subscriptions limit. Change the request to stay within the specified limit.",
        9817 => "The user is already assigned to this subscription through group membership.",
        9818 => "Subscriptions exist for the organizational unit, so subscription management can't be disabled.",
        _ => throw new ArgumentOutOfRangeException(nameof(error)),
    };

    [Fact]
    public async Task Service_config_lists_errors_9811_to_9818_with_Apples_messages_and_the_subscription_limits()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("service/config", token: null);
        var codes = r["errorCodes"].EnumerateArray().ToDictionary(e => e.GetProperty("errorNumber").GetInt32(), e => e.GetProperty("errorMessage").GetString());
        for (int n = 9811; n <= 9818; n++) Assert.Equal(ExpectedMessage(n), codes[n]);
        Assert.Equal(25, r["limits"].GetProperty("maxSubscriptions").GetInt32());
        Assert.Equal(1000, r["limits"].GetProperty("maxSubscriptionClientUserIds").GetInt32());
        foreach (var t in new[] { "SUBSCRIPTION_MANAGEMENT", "SUBSCRIPTION_COUNT", "UNLIMITED_ASSET" })
            Assert.Contains(t, r["notificationTypes"].EnumerateArray().Select(x => x.GetString()));
        Assert.DoesNotContain(r["urls"].EnumerateObject(), p => p.Value.GetString()!.Contains("subscriptions"));   // no url keys for them (§2.1 Decision)
    }

    [Fact]
    public async Task Limits_are_dynamic_new_values_are_served_and_enforced_and_new_keys_appear()
    {
        await using var sim = await Sim.StartAsync(Examples());
        using var resp = await sim.Http.PostAsync(sim.Host.ControlBaseUrl + "/limits",
            new StringContent("{\"maxSubscriptionClientUserIds\":1,\"maxSomethingNew\":7}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var limits = (await sim.Get("service/config", token: null))["limits"];
        Assert.Equal(1, limits.GetProperty("maxSubscriptionClientUserIds").GetInt32());
        Assert.Equal(7, limits.GetProperty("maxSomethingNew").GetInt32());
        Assert.Equal(9816, (await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user", "user-1" } })).ErrorNumber);
        Assert.Throws<ArgumentException>(() => sim.State.SetLimits(new Dictionary<string, int> { ["maxAssets"] = -1 }));
    }

    [Fact]
    public async Task Admins_add_and_remove_examples_answer_synchronously_with_the_new_versionId()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var v0 = (await sim.Get("subscriptions/admins"))["versionId"].GetString();
        var add = await sim.Post("subscriptions/admins/add", "{\"adamIds\":[12345],\"clientUserIds\":[\"client-3\"]}");
        Assert.Equal(HttpStatusCode.OK, add.Status);
        Assert.Equal(new[] { "tokenExpirationDate", "uId", "versionId" }, add.Keys);
        Assert.NotEqual(v0, add["versionId"].GetString());
        var list = await sim.Get("subscriptions/admins?adamId=12345&includeUserState=true");
        Assert.Equal(add["versionId"].GetString(), list["versionId"].GetString());
        Assert.Equal(new[] { "vpp-user", "client-3" }, list["admins"].EnumerateArray().Select(a => a.GetProperty("clientUserId").GetString()));
        Assert.False(list["admins"][1].TryGetProperty("idHash", out _));   // client-3 is Registered: no idHash
        Assert.Equal("Registered", list["admins"][1].GetProperty("userStatus").GetString());
        // adding again / removing a non-admin: no-ops, no new version
        Assert.Equal(add["versionId"].GetString(), (await sim.Post("subscriptions/admins/add", "{\"adamIds\":[12345],\"clientUserIds\":[\"client-3\"]}"))["versionId"].GetString());
        Assert.Equal(add["versionId"].GetString(), (await sim.Post("subscriptions/admins/remove", "{\"adamIds\":[12345],\"clientUserIds\":[\"user-2\"]}"))["versionId"].GetString());
        var rm = await sim.Post("subscriptions/admins/remove", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\"]}");
        Assert.NotEqual(add["versionId"].GetString(), rm["versionId"].GetString());
        Assert.Equal(new[] { "client-3" }, sim.State.GetSubscriptionAdmins(School).Select(a => a.ClientUserId));
    }

    [Fact]
    public async Task Retiring_a_user_releases_the_users_seats_with_a_DISASSOCIATE_notification()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l => Subscribe(l, listener)));
        var r = await sim.Post("users/retire", new { users = new[] { new { clientUserId = "client-1" } } });
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        Assert.DoesNotContain(sim.State.GetSubscriptionAssignments(School), a => a.ClientUserId == "client-1");
        var n = Assert.Single(Notifications(sim, "SUBSCRIPTION_MANAGEMENT")).GetProperty("notification");
        Assert.Equal(("DISASSOCIATE", r["eventId"].GetString()), (n.GetProperty("type").GetString(), n.GetProperty("eventId").GetString()));
        Assert.Equal("client-1", n.GetProperty("assignments")[0].GetProperty("clientUserId").GetString());
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task Subscription_events_follow_eventDelayMs_and_stayPending_but_a_deferred_disassociation_completes_at_once()
    {
        await using var sim = await Sim.StartAsync(Delay(Examples()));
        var r = await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user" } });
        var st = await sim.Status(r);
        Assert.Equal(("PENDING", 0), (st["eventStatus"].GetString(), st["numCompleted"].GetInt32()));
        // while pending the user does not hold the seat yet: disassociating it is 9815
        Assert.Equal(9815, (await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user" } })).ErrorNumber);
        sim.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        var d = await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user" }, deferred = true });
        Assert.Equal("COMPLETE", (await sim.Status(d))["eventStatus"].GetString());

        sim.State.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.StayPending });
        var held = await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-1" }, deferred = true });
        sim.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal("PENDING", (await sim.Status(held))["eventStatus"].GetString());
        sim.State.ReleasePendingEvents(School);
        Assert.Equal("COMPLETE", (await sim.Status(held))["eventStatus"].GetString());

        static SimulatorScenario Delay(SimulatorScenario s) { s.EventDelayMs = 5000; return s; }
    }

    [Fact]
    public async Task Seat_purchases_through_the_control_api_add_seats_and_send_SUBSCRIPTION_COUNT()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l => Subscribe(l, listener)));
        var v0 = sim.State.GetLocation(School).SubscriptionVersionId;
        var (status, json) = await Control(sim, "/locations/Test%20School/subscriptions/12345/buy", new { renewing = 10, expiring = 2 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(110, json.GetProperty("totalRenewing").GetInt32());
        Assert.Equal(22, json.GetProperty("totalExpiring").GetInt32());
        Assert.NotEqual(v0, sim.State.GetLocation(School).SubscriptionVersionId);
        var n = Assert.Single(Notifications(sim, "SUBSCRIPTION_COUNT")).GetProperty("notification");
        Assert.Equal(54321, n.GetProperty("parentAdamId").GetInt64());
        Assert.Equal(new[] { 110, 22 }, Breakdown(n.GetProperty("counts"), "total"));
        Assert.Equal(new[] { 25, 7 }, Breakdown(n.GetProperty("counts"), "available"));

        // an unknown adamId becomes a new subscription, listed last, its period a year from now
        (status, json) = await Control(sim, "/locations/Test%20School/subscriptions/55555/buy", new { renewing = 3, parentAdamId = 54321 });
        Assert.Equal(HttpStatusCode.OK, status);
        var listed = (await sim.Get("subscriptions?parentAdamId=54321"))["subscriptions"].EnumerateArray().Last();
        Assert.Equal((55555L, "ACTIVE", "2027-11-25"), (listed.GetProperty("adamId").GetInt64(), listed.GetProperty("status").GetString(), listed.GetProperty("periodEndDate").GetString()));
        // status through the control API
        (status, _) = await Control(sim, "/locations/Test%20School/subscriptions/55555/status", new { status = "PAUSED" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(9811, (await sim.Post("subscriptions/associate", new { adamIds = new[] { 55555 }, clientUserIds = new[] { "vpp-user" } })).ErrorNumber);
        // no purchases into a unit that has not enabled subscription management; bad input is 400
        (status, _) = await Control(sim, "/locations/Other%20School/subscriptions/12345/buy", new { renewing = 1 });
        Assert.Equal(HttpStatusCode.Conflict, status);
        (status, _) = await Control(sim, "/locations/Test%20School/subscriptions/12345/buy", new { renewing = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await Control(sim, "/locations/Test%20School/subscriptions/361285480/buy", new { renewing = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, json) = await Control(sim, "/locations/Test%20School/subscriptions/assignments", null);
        Assert.Equal(103, json.GetArrayLength());
        AssertSeatsAddUp(sim.State);
    }

    private static async Task<(HttpStatusCode, JsonElement)> Control(Sim sim, string path, object? body)
    {
        using var req = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, sim.Host.ControlBaseUrl + path);
        if (body != null) req.Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
        using var resp = await sim.Http.SendAsync(req);
        return (resp.StatusCode, JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task SUBSCRIPTION_MANAGEMENT_notifications_come_in_chunks_of_100_with_integer_ids()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l =>
        {
            Subscribe(l, listener);
            for (int i = 1; i <= 150; i++) l.Users.Add(new ScenarioUser { ClientUserId = $"extra-{i}", Status = "Associated" });
            l.Subscriptions.Add(new ScenarioSubscription { AdamId = 66666, ParentAdamId = 54321, Total = new() { Renewing = 200 } });
        }));
        var r = await sim.Post("subscriptions/associate", new { adamIds = new[] { 66666 }, clientUserIds = Enumerable.Range(1, 150).Select(i => $"extra-{i}").ToArray(), renewing = true });
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        var ns = Notifications(sim, "SUBSCRIPTION_MANAGEMENT").Select(n => n.GetProperty("notification")).ToList();
        Assert.Equal(new[] { 100, 50 }, ns.Select(n => n.GetProperty("assignments").GetArrayLength()));
        Assert.All(ns, n =>
        {
            Assert.Equal(("SUCCESS", "ASSOCIATE", r["eventId"].GetString()), (n.GetProperty("result").GetString(), n.GetProperty("type").GetString(), n.GetProperty("eventId").GetString()));
            Assert.Equal(JsonValueKind.Number, n.GetProperty("assignments")[0].GetProperty("adamId").ValueKind);
        });
        // the listener receives them with the location's bearer token
        var got = await listener.WaitFor("SUBSCRIPTION_MANAGEMENT");
        Assert.Equal("2049025000431439", got.GetProperty("uId").GetString());
    }

    [Fact]
    public async Task Unsubscribed_types_are_not_sent()
    {
        await using var listener = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync(Examples(tweak: l => { Subscribe(l, listener); l.NotificationTypes = ["ASSET_MANAGEMENT"]; }));
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user" } });
        sim.State.BuySubscriptionSeats(School, Sub, 1);
        Assert.Empty(sim.State.Notifications);
    }

    internal static void Subscribe(ScenarioLocation l, Listener listener)
    {
        l.NotificationUrl = listener.Url;
        l.NotificationAuthToken = "secret-token";
        l.NotificationTypes = ["SUBSCRIPTION_MANAGEMENT", "SUBSCRIPTION_COUNT", "ASSET_MANAGEMENT"];
    }
}
