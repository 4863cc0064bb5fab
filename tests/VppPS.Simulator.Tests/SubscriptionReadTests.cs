using System.Net;
using System.Text.Json;
using static VppPS.Simulator.Tests.SubScenarios;

namespace VppPS.Simulator.Tests;

/// <summary>Spec §2.10.1-2.10.3, 2.10.6 (reads), 2.10.7: the declaration, seat counts, assignments, admins, cursors.</summary>
public class SubscriptionReadTests
{
    [Fact]
    public async Task Enable_example_takes_no_body_and_no_content_type_and_answers_mdmInfo_null()
    {
        await using var sim = await Sim.StartAsync();   // Test School: declaration unstated
        Assert.Null(sim.State.GetSubscriptionManagement(School));
        var r = await sim.Post("subscriptions/enable", null);   // no body, no Content-Type, as Apple's curl example
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(new[] { "mdmInfo", "subscriptionManagement", "tokenExpirationDate", "uId" }, r.Keys);
        Assert.Equal(JsonValueKind.Null, r["mdmInfo"].ValueKind);
        Assert.True(r["subscriptionManagement"].GetBoolean());
        Assert.Equal("2049025000431439", r["uId"].GetString());
        Assert.Equal("2027-09-21T09:00:00+0000", r["tokenExpirationDate"].GetString());
        Assert.True(sim.State.GetSubscriptionManagement(School));
        Assert.True((await sim.Post("subscriptions/enable", null))["subscriptionManagement"].GetBoolean());   // idempotent

        // a body, if sent, is ignored, whatever its content type
        var d = await sim.Post("subscriptions/disable", "ignored", contentType: "text/plain");
        Assert.Equal(HttpStatusCode.OK, d.Status);
        Assert.False(d["subscriptionManagement"].GetBoolean());
        Assert.False(sim.State.GetSubscriptionManagement(School));

        // once claimed, mdmInfo is the object
        sim.State.ClaimByOtherMdm(School, "id-1", "Other", "meta");
        var c = await sim.Post("subscriptions/enable", null);
        Assert.Equal("id-1", c["mdmInfo"].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Disable_while_subscriptions_exist_is_9818_and_zero_count_entries_do_not_count()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var r = await sim.Post("subscriptions/disable", null);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(9818, r.ErrorNumber);
        Assert.Equal("Subscriptions exist for the organizational unit, so subscription management can't be disabled.", r["errorMessage"].GetString());
        Assert.Equal(new[] { "errorMessage", "errorNumber" }, r.Keys);
        Assert.True(sim.State.GetSubscriptionManagement(School));

        await using var sim2 = await Sim.StartAsync(Scenarios.Small(s =>
        {
            s.Locations[0].SubscriptionManagement = true;
            s.Locations[0].Subscriptions.Add(new ScenarioSubscription { AdamId = Empty });
        }));
        var ok = await sim2.Post("subscriptions/disable", null);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.False(ok["subscriptionManagement"].GetBoolean());
    }

    [Fact]
    public async Task Get_subscriptions_example_parentAdamId_54321()
    {
        await using var sim = await Sim.StartAsync(Examples(pageSize: 1));
        await MakeExampleCountsAsync(sim);
        sim.State.ClaimByOtherMdm(School);   // the subscription answers have no mdmInfo field at all
        var r = await sim.Get("subscriptions?parentAdamId=54321");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(new[] { "nextCursor", "subscriptions", "tokenExpirationDate", "uId", "versionId" }, r.Keys);
        var s = Assert.Single(r["subscriptions"].EnumerateArray());
        Assert.Equal(new[] { "adamId", "counts", "parentAdamId", "periodEndDate", "status" }, s.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(54321, s.GetProperty("parentAdamId").GetInt64());
        Assert.Equal(JsonValueKind.Number, s.GetProperty("adamId").ValueKind);
        Assert.Equal(12345, s.GetProperty("adamId").GetInt64());
        Assert.Equal("ACTIVE", s.GetProperty("status").GetString());
        Assert.Equal("2027-01-15", s.GetProperty("periodEndDate").GetString());
        var counts = s.GetProperty("counts");
        Assert.Equal(new[] { 80, 20 }, Breakdown(counts, "assigned"));
        Assert.Equal(new[] { 15, 5 }, Breakdown(counts, "available"));
        Assert.Equal(new[] { 100, 20 }, Breakdown(counts, "total"));
        Assert.Equal("2049025000431439", r["uId"].GetString());
        Assert.True(Guid.TryParse(r["versionId"].GetString(), out _));
        // the cursor is an opaque string like Apple's (Base64 of a UUID)
        var cursor = r["nextCursor"].GetString()!;
        Assert.True(Guid.TryParse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(cursor)), out _));
        AssertSeatsAddUp(sim.State);
    }

    [Fact]
    public async Task Subscription_records_never_invent_a_parent_and_zero_count_entries_are_listed()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var r = await sim.Get("subscriptions");
        Assert.False(r.Json.TryGetProperty("nextCursor", out _));
        var all = r["subscriptions"].EnumerateArray().ToList();
        Assert.Equal(new long[] { Sub, Sub2, Paused, Lapsing, Empty }, all.Select(x => x.GetProperty("adamId").GetInt64()));
        Assert.Equal(JsonValueKind.Null, all[3].GetProperty("parentAdamId").ValueKind);
        Assert.Equal("PAUSED", all[2].GetProperty("status").GetString());
        Assert.Equal("2026-12-05", all[3].GetProperty("periodEndDate").GetString());   // periodEndsInDays 10 after 2026-11-25
        var empty = all[4].GetProperty("counts");
        foreach (var n in new[] { "assigned", "available", "total" }) Assert.Equal(new[] { 0, 0 }, Breakdown(empty, n));
    }

    [Fact]
    public async Task Get_subscription_assignments_example_adamId_12345()
    {
        await using var sim = await Sim.StartAsync(Examples(pageSize: 2));
        var r = await sim.Get("subscriptions/assignments?adamId=12345");
        Assert.Equal(new[] { "assignments", "nextCursor", "tokenExpirationDate", "uId", "versionId" }, r.Keys);
        var a = r["assignments"].EnumerateArray().ToList();
        Assert.Equal(2, a.Count);
        Assert.Equal(new[] { "adamId", "clientUserId", "renewing" }, a[0].EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal((12345L, "user-1", true), (a[0].GetProperty("adamId").GetInt64(), a[0].GetProperty("clientUserId").GetString(), a[0].GetProperty("renewing").GetBoolean()));
        Assert.Equal((12345L, "user-2", false), (a[1].GetProperty("adamId").GetInt64(), a[1].GetProperty("clientUserId").GetString(), a[1].GetProperty("renewing").GetBoolean()));
    }

    [Fact]
    public async Task Cursor_paging_reads_every_row_once_in_order_and_the_last_page_has_no_nextCursor()
    {
        await using var sim = await Sim.StartAsync(Examples(pageSize: 7));
        var rows = new List<(long, string)>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var r = await sim.Get("subscriptions/assignments" + (cursor is null ? "" : "?cursor=" + Uri.EscapeDataString(cursor)));
            Assert.Equal(HttpStatusCode.OK, r.Status);
            var page = r["assignments"].EnumerateArray().Select(x => (x.GetProperty("adamId").GetInt64(), x.GetProperty("clientUserId").GetString()!)).ToList();
            Assert.True(page.Count <= 7);
            rows.AddRange(page);
            cursor = r.Json.TryGetProperty("nextCursor", out var n) ? n.GetString() : null;
            pages++;
        } while (cursor != null);
        var expected = sim.State.GetSubscriptionAssignments(School).Select(x => (x.AdamId, x.ClientUserId)).ToList();
        Assert.Equal(103, expected.Count);
        Assert.Equal(expected, rows);
        Assert.Equal(15, pages);   // 103 rows / 7 = 14.7
    }

    [Fact]
    public async Task A_cursor_stays_valid_across_writes_and_the_versionId_tells_the_data_changed()
    {
        await using var sim = await Sim.StartAsync(Examples(pageSize: 60));
        var p0 = await sim.Get("subscriptions/assignments?adamId=12345");
        var v0 = p0["versionId"].GetString();
        Assert.Equal(v0, (await sim.Get("subscriptions/assignments?adamId=12345"))["versionId"].GetString());   // reads change nothing
        // a write between pages: user-1 leaves (served already), vpp-user arrives (a new row, last)
        await sim.Post("subscriptions/disassociate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "user-1" } });
        await sim.Post("subscriptions/associate", new { adamIds = new[] { Sub }, clientUserIds = new[] { "vpp-user" }, renewing = true });
        var p1 = await sim.Get("subscriptions/assignments?adamId=12345&cursor=" + Uri.EscapeDataString(p0["nextCursor"].GetString()!));
        Assert.Equal(HttpStatusCode.OK, p1.Status);
        var v1 = p1["versionId"].GetString();
        Assert.NotEqual(v0, v1);
        var names = p1["assignments"].EnumerateArray().Select(x => x.GetProperty("clientUserId").GetString()).ToList();
        Assert.Equal("user-61", names[0]);   // the removal before the cursor moved nothing
        Assert.Equal("vpp-user", names[^1]);
        Assert.False(p1.Json.TryGetProperty("nextCursor", out _));
        // an asset write does not change the subscription data's versionId
        await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Keynote, pricingParam = "STDQ" } }, clientUserIds = new[] { "client-2" } });
        Assert.Equal(v1, (await sim.Get("subscriptions"))["versionId"].GetString());
    }

    [Fact]
    public async Task A_cursor_is_bound_to_its_location_endpoint_and_filters_else_9812()
    {
        await using var sim = await Sim.StartAsync(Examples(pageSize: 2));
        var first = await sim.Get("subscriptions/assignments?adamId=12345&adamId=12346");
        var cursor = Uri.EscapeDataString(first["nextCursor"].GetString()!);
        // the same filters in another order are the same filters
        Assert.Equal(HttpStatusCode.OK, (await sim.Get($"subscriptions/assignments?adamId=12346&adamId=12345&cursor={cursor}")).Status);
        foreach (var path in new[]
        {
            $"subscriptions/assignments?cursor={cursor}",                       // filters dropped
            $"subscriptions/assignments?adamId=12345&cursor={cursor}",          // other filters
            $"subscriptions?adamId=12345&adamId=12346&cursor={cursor}",          // other endpoint
            "subscriptions/assignments?adamId=12345&adamId=12346&cursor=NjY5MjY0ODEtZTA4ZC00MmRhLTkxYjItMzdmMDI1MTVkYjQy", // never issued
            "subscriptions?cursor=eyJwYWdlIjoyfQ",                                // Apple's sample, not issued here
        })
        {
            var r = await sim.Get(path);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal(9812, r.ErrorNumber);
            Assert.Equal("The provided cursor is invalid.", r["errorMessage"].GetString());
        }
        var other = await sim.Get($"subscriptions/assignments?adamId=12345&adamId=12346&cursor={cursor}", sim.Token("Other School"));
        Assert.Equal(9812, other.ErrorNumber);
    }

    [Theory]
    [InlineData("subscriptions?adamId=12345&adamId=33333", 2)]
    [InlineData("subscriptions?parentAdamId=54321&adamId=12346", 1)]
    [InlineData("subscriptions?parentAdamId=99999", 0)]
    [InlineData("subscriptions?adamId=361285480", 0)]          // an asset's id is not a subscription
    [InlineData("subscriptions?sinceVersionId=whatever", 5)]   // ignored on cursor endpoints
    [InlineData("subscriptions/assignments?clientUserId=client-1&clientUserId=client-2", 2)]
    [InlineData("subscriptions/assignments?parentAdamId=54321&clientUserId=group-user", 1)]
    [InlineData("subscriptions/assignments?adamId=33333&clientUserId=user-1", 0)]
    [InlineData("subscriptions/admins?adamId=12345", 1)]
    [InlineData("subscriptions/admins?adamId=12346", 0)]
    public async Task Filters_repeat_and_combine(string path, int expected)
    {
        await using var sim = await Sim.StartAsync(Examples());
        var r = await sim.Get(path);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        var array = path.StartsWith("subscriptions/assignments") ? "assignments" : path.StartsWith("subscriptions/admins") ? "admins" : "subscriptions";
        Assert.Equal(expected, r[array].GetArrayLength());
        Assert.False(r.Json.TryGetProperty("nextCursor", out _));
    }

    [Theory]
    [InlineData("subscriptions?adamId=abc")]
    [InlineData("subscriptions?parentAdamId=-5")]
    [InlineData("subscriptions/assignments?adamId=1.5")]
    [InlineData("subscriptions/admins?adamId=")]
    public async Task A_filter_id_that_is_not_an_integer_is_9813(string path)
    {
        await using var sim = await Sim.StartAsync(Examples());
        var r = await sim.Get(path);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(9813, r.ErrorNumber);
        Assert.Equal("The provided Adam ID is invalid.", r["errorMessage"].GetString());
    }

    [Fact]
    public async Task Get_subscription_administrators_example_with_includeUserState()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var r = await sim.Get("subscriptions/admins?adamId=12345&includeUserState=true");
        Assert.Equal(new[] { "admins", "tokenExpirationDate", "uId", "versionId" }, r.Keys);
        var a = Assert.Single(r["admins"].EnumerateArray());
        Assert.Equal(new[] { "adamId", "clientUserId", "idHash", "userStatus" }, a.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(12345, a.GetProperty("adamId").GetInt64());
        Assert.Equal("vpp-user", a.GetProperty("clientUserId").GetString());
        Assert.Equal("rRVS8rlBrJjRqYwL8aNGDJG2CbU=", a.GetProperty("idHash").GetString());
        Assert.Equal("Associated", a.GetProperty("userStatus").GetString());
        var plain = Assert.Single((await sim.Get("subscriptions/admins?adamId=12345"))["admins"].EnumerateArray());
        Assert.False(plain.TryGetProperty("userStatus", out _));
    }

    [Fact]
    public async Task Subscriptions_stay_out_of_assets_and_assignments_and_the_other_way_round()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var assets = await sim.Get("assets");
        Assert.DoesNotContain(assets["assets"].EnumerateArray(), a => a.GetProperty("adamId").GetString() == "12345");
        var assignments = await sim.Get("assignments?clientUserId=user-1");
        Assert.Equal(0, assignments["assignments"].GetArrayLength());
        var subAssignments = await sim.Get("subscriptions/assignments?clientUserId=client-1");
        Assert.Equal(new long[] { Lapsing }, subAssignments["assignments"].EnumerateArray().Select(x => x.GetProperty("adamId").GetInt64()));
    }

    [Fact]
    public async Task The_endpoints_are_not_gated_on_the_declaration()
    {
        await using var sim = await Sim.StartAsync();   // unstated, no subscriptions
        var r = await sim.Get("subscriptions");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(0, r["subscriptions"].GetArrayLength());
        Assert.Equal(0, (await sim.Get("subscriptions/assignments"))["assignments"].GetArrayLength());
    }

    [Fact]
    public async Task Method_content_type_and_auth_rules_apply_to_the_subscription_endpoints()
    {
        await using var sim = await Sim.StartAsync(Examples());
        var m = await sim.Get("subscriptions/associate");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, m.Status);
        Assert.Equal(9726, m.ErrorNumber);
        Assert.Equal(9726, (await sim.Post("subscriptions", new { })).ErrorNumber);
        var ct = await sim.Post("subscriptions/associate", "{\"adamIds\":[12345],\"clientUserIds\":[\"vpp-user\"]}", contentType: "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, ct.Status);
        Assert.Equal(9727, ct.ErrorNumber);
        Assert.Equal(9722, (await sim.Post("subscriptions/enable", null, token: null)).ErrorNumber);
        Assert.Equal(9722, (await sim.Get("subscriptions", token: null)).ErrorNumber);
    }

    [Fact]
    public async Task A_versionChange_fault_changes_the_subscription_versionId_between_cursor_pages()
    {
        await using var sim = await Sim.StartAsync(Examples(pageSize: 50));
        sim.State.ScheduleFault(School, new SimulatorFault { Kind = SimulatorFaultKind.VersionChange, Path = "subscriptions/assignments", MinPageIndex = 1 });
        var p0 = await sim.Get("subscriptions/assignments");
        var p1 = await sim.Get("subscriptions/assignments?cursor=" + Uri.EscapeDataString(p0["nextCursor"].GetString()!));
        Assert.NotEqual(p0["versionId"].GetString(), p1["versionId"].GetString());
    }
}
