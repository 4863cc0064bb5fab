using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace VppPS.Simulator.Tests;

/// <summary>Section 9's scenario fields for subscriptions, the Demo's subscriptions, the latency setting and unlimited assets.</summary>
public class ScenarioSubscriptionAndLatencyTests
{
    private const string Loc = "{\"locationName\":\"A\",\"users\":[{\"clientUserId\":\"u\",\"status\":\"Associated\"},{\"clientUserId\":\"v\",\"status\":\"Associated\"},{\"clientUserId\":\"old\",\"status\":\"Retired\"}],\"assets\":[{\"adamId\":\"777\",\"totalCount\":1}]";

    [Theory]
    [InlineData(",\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":1}}]}")]                                           // no subscriptionManagement: true
    [InlineData(",\"subscriptionManagement\":false,\"subscriptions\":[{\"adamId\":1}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1},{\"adamId\":1}]}")]                      // duplicate
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":777}]}")]                                   // an asset's adamId
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"status\":\"SLEEPING\"}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"periodEndDate\":\"15.01.2027\"}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"periodEndDate\":\"2027-01-15\",\"periodEndsInDays\":3}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"billingPeriodDays\":0}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":1}}],\"subscriptionAssignments\":[{\"adamId\":2,\"clientUserId\":\"u\"}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":1}}],\"subscriptionAssignments\":[{\"adamId\":1,\"clientUserId\":\"nobody\"}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":1}}],\"subscriptionAssignments\":[{\"adamId\":1,\"clientUserId\":\"old\"}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":2}}],\"subscriptionAssignments\":[{\"adamId\":1,\"clientUserId\":\"u\"},{\"adamId\":1,\"clientUserId\":\"u\"}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"expiring\":2}}],\"subscriptionAssignments\":[{\"adamId\":1,\"clientUserId\":\"u\"}]}")]   // renewing needs a renewing seat
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":1}}],\"subscriptionAssignments\":[{\"adamId\":1,\"clientUserId\":\"u\",\"renewing\":false},{\"adamId\":1,\"clientUserId\":\"v\",\"renewing\":false}]}")]
    [InlineData(",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1}],\"subscriptionAdmins\":[{\"adamId\":1,\"clientUserId\":\"nobody\"}]}")]
    public async Task Subscription_scenarios_that_do_not_add_up_are_refused(string tail)
    {
        var json = "{\"locations\":[" + Loc + tail + "]}";
        await Assert.ThrowsAsync<InvalidDataException>(() => SimulatorHost.StartAsync(new SimulatorOptions { Scenario = SimulatorScenario.Parse(json) }));
    }

    [Fact]
    public async Task Seats_at_load_renewing_first_then_expiring_on_expiring_seats_then_renewing_ones()
    {
        // an expiring assignment listed first must not take the renewing seat a renewing one needs
        var json = "{\"locations\":[" + Loc + ",\"subscriptionManagement\":true,\"subscriptions\":[{\"adamId\":1,\"total\":{\"renewing\":1,\"expiring\":1}}]," +
                   "\"subscriptionAssignments\":[{\"adamId\":1,\"clientUserId\":\"v\",\"renewing\":false},{\"adamId\":1,\"clientUserId\":\"u\"}]}]}";
        await using var sim = await Sim.StartAsync(SimulatorScenario.Parse(json));
        var a = sim.State.GetSubscriptionAssignments("A");
        Assert.Equal(new[] { ("v", false, false), ("u", true, true) }, a.Select(x => (x.ClientUserId, x.Renewing, x.SeatRenewing)));
        Assert.True(sim.State.GetSubscriptionManagement("A"));
        Assert.Equal(new DateOnly(2026, 12, 25), sim.State.GetSubscriptions("A")[0].PeriodEndDate);   // default: 30 days after start
        SubScenarios.AssertSeatsAddUp(sim.State, "A");
    }

    [Fact]
    public async Task Demo_has_subscriptions_with_renewing_and_expiring_seats_that_add_up()
    {
        await using var sim = await Sim.StartAsync(SimulatorScenario.Load("Demo"));
        Assert.True(sim.State.GetSubscriptionManagement("Riverside High School"));
        Assert.True(sim.State.GetSubscriptionManagement("Lincoln Middle School"));
        Assert.Null(sim.State.GetSubscriptionManagement("Oak Park Elementary"));
        var reads = sim.State.GetSubscriptions("Riverside High School").Single(s => s.AdamId == 1640000101);
        Assert.True(reads.AssignedRenewing > 0 && reads.AssignedExpiring > 0 && reads.TotalExpiring > 0);
        Assert.Contains(sim.State.GetSubscriptionAssignments("Riverside High School"), a => a.ViaGroup);
        Assert.Contains(sim.State.GetSubscriptions("Riverside High School"), s => s.TotalRenewing + s.TotalExpiring == 0);
        foreach (var l in new[] { "Riverside High School", "Lincoln Middle School", "Oak Park Elementary" })
        {
            SubScenarios.AssertSeatsAddUp(sim.State, l);
            var assets = sim.State.GetAssets(l).Select(a => a.AdamId).ToHashSet();
            Assert.DoesNotContain(sim.State.GetSubscriptions(l), s => assets.Contains(s.AdamId.ToString()));
        }
        var r = await sim.Get("subscriptions", sim.Token("Riverside High School"));
        Assert.Equal(3, r["subscriptions"].GetArrayLength());
    }

    // ------------------------------------------------------------ latency
    private sealed class DelayRecorder
    {
        public readonly ConcurrentQueue<TimeSpan> Delays = new();
        public Task Delay(TimeSpan d, CancellationToken _) { Delays.Enqueue(d); return Task.CompletedTask; }
    }

    private static Task<Sim> StartWithLatency(ScenarioLatency? latency, DelayRecorder rec) =>
        Sim.StartAsync(Scenarios.Small(x => x.Latency = latency), delay: rec.Delay);

    [Fact]
    public async Task A_fixed_latency_delays_every_v2_answer_errors_included_and_nothing_else()
    {
        var rec = new DelayRecorder();
        await using var sim = await StartWithLatency(new ScenarioLatency { FixedMs = 250 }, rec);
        await sim.Get("service/config", token: null);
        await sim.Get("assets");
        await sim.Get("assets?pageIndex=9");                         // 9650
        await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Keynote } }, clientUserIds = new[] { "client-2" } });
        await sim.Get("subscriptions");
        await sim.Get("assets", token: null);                        // 9722
        using (await sim.Http.GetAsync(sim.Host.ControlBaseUrl + "/clock")) { }   // the control API is never delayed
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromMilliseconds(250), 6), rec.Delays);
        Assert.Equal(new SimLatencyStats(6, 1500), sim.State.Latency);
    }

    [Fact]
    public async Task A_random_latency_is_drawn_per_answer_in_the_range_and_the_same_seed_gives_the_same_delays()
    {
        async Task<List<TimeSpan>> Run()
        {
            var rec = new DelayRecorder();
            await using var sim = await StartWithLatency(new ScenarioLatency { MinMs = 100, MaxMs = 400, Seed = 7 }, rec);
            for (int i = 0; i < 20; i++) await sim.Get("assets");
            return rec.Delays.ToList();
        }
        var a = await Run();
        var b = await Run();
        Assert.Equal(20, a.Count);
        Assert.Equal(a, b);
        Assert.All(a, d => Assert.InRange(d.TotalMilliseconds, 100, 400));
        Assert.True(a.Distinct().Count() > 5, "the delays vary");
        var rng = new Random(7);
        Assert.Equal(Enumerable.Range(0, 20).Select(_ => TimeSpan.FromMilliseconds(rng.Next(100, 401))), a);
    }

    [Fact]
    public async Task No_latency_by_default()
    {
        var rec = new DelayRecorder();
        await using var sim = await StartWithLatency(null, rec);
        await sim.Get("assets");
        Assert.Empty(rec.Delays);
        Assert.Equal(new SimLatencyStats(0, 0), sim.State.Latency);
    }

    [Theory]
    [InlineData("{\"latency\":{\"fixedMs\":10,\"minMs\":1,\"maxMs\":5},\"locations\":[]}")]
    [InlineData("{\"latency\":{\"minMs\":10},\"locations\":[]}")]
    [InlineData("{\"latency\":{\"minMs\":10,\"maxMs\":5},\"locations\":[]}")]
    [InlineData("{\"latency\":{\"fixedMs\":-1},\"locations\":[]}")]
    public async Task Bad_latency_settings_are_refused(string json)
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => SimulatorHost.StartAsync(new SimulatorOptions { Scenario = SimulatorScenario.Parse(json) }));
    }

    [Fact]
    public async Task The_default_delay_really_waits()
    {
        // the only real-time check: a lower bound, which cannot flake
        await using var sim = await Sim.StartAsync(Scenarios.Small(x => x.Latency = new ScenarioLatency { FixedMs = 60 }));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await sim.Get("assets");
        Assert.True(sw.ElapsedMilliseconds >= 55, $"answered after {sw.ElapsedMilliseconds} ms");
    }

    // ------------------------------------------------------------ unlimited assets (2.3, 2026)
    [Fact]
    public async Task Unlimited_assets_answer_as_section_2_3_says_in_every_mode()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.PageSize = 1));
        // parameter omitted: listed with totalCount 2147483647 and available = max - assigned - retired
        var all = new List<JsonElement>();
        for (int p = 0; ; p++)
        {
            var r = await sim.Get("assets?pageIndex=" + p);
            all.AddRange(r["assets"].EnumerateArray());
            if (!r.Json.TryGetProperty("nextPageIndex", out _)) break;
        }
        var free = all.Single(a => a.GetProperty("adamId").GetString() == Scenarios.Free);
        Assert.Equal(2147483647, free.GetProperty("totalCount").GetInt64());
        Assert.Equal(2147483647, free.GetProperty("availableCount").GetInt64() + free.GetProperty("assignedCount").GetInt64() + free.GetProperty("retiredCount").GetInt64());

        // an association never runs out of a free app
        var users = Enumerable.Range(1, 30).Select(i => new { clientUserId = $"f-{i}" }).ToArray();
        Assert.Equal("COMPLETE", (await sim.Status(await sim.Post("users/create", new { users })))["eventStatus"].GetString());
        var st = await sim.Status(await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Free, pricingParam = "STDQ" } }, clientUserIds = users.Select(u => u.clientUserId).ToArray() }));
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());

        // unlimited=true: only unlimited assets, in unlimitedAssets, with the fields of UnlimitedResponseAsset; assets is empty; paging counts them
        var u = await sim.Get("assets?unlimited=true");
        Assert.Equal(0, u["assets"].GetArrayLength());
        Assert.Equal((1, 1), (u["size"].GetInt32(), u["totalPages"].GetInt32()));
        var item = Assert.Single(u["unlimitedAssets"].EnumerateArray());
        Assert.Equal(new[] { "adamId", "assignedCount", "deviceAssignable", "pricingParam", "productType", "revocable", "supportedPlatforms" },
            item.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.String, item.GetProperty("adamId").ValueKind);
        Assert.Equal(30, item.GetProperty("assignedCount").GetInt32());
        // unlimited=false: excluded
        var limited = await sim.Get("assets?unlimited=false");
        Assert.Equal(7, limited["totalPages"].GetInt32());
        Assert.NotEqual(Scenarios.Free, limited["assets"][0].GetProperty("adamId").GetString());
        Assert.False(limited.Json.TryGetProperty("unlimitedAssets", out _));
    }
}

/// <summary>The 2026 client rules the simulator observes (it enforces none): requests in flight at once, status polls.</summary>
public class ObservationTests
{
    [Fact]
    public async Task The_most_requests_in_flight_at_once_are_counted()
    {
        // a latency hook that holds every answer until three requests are inside it: no timing involved
        var inside = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task Hold(TimeSpan _, CancellationToken ct)
        {
            if (Interlocked.Increment(ref inside) == 3) all.TrySetResult();
            return all.Task.WaitAsync(ct);
        }
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.Latency = new ScenarioLatency { FixedMs = 1 }), delay: Hold);
        await Task.WhenAll(sim.Get("assets"), sim.Get("users"), sim.Get("subscriptions"));
        // (InFlight is not asserted: a request leaves the count just after its answer reaches the client)
        var stats = sim.State.GetRequestStats("Test School");
        Assert.Equal((3L, 3), (stats.Requests, stats.MaxInFlight));
        await sim.Get("assets");
        Assert.Equal(3, sim.State.GetRequestStats("Test School").MaxInFlight);
        sim.State.ResetRequestStats("Test School");
        await sim.Get("assets");
        Assert.Equal(1, sim.State.GetRequestStats("Test School").Requests);
        Assert.Equal(0, sim.State.GetRequestStats("Other School").Requests);
    }

    [Fact]
    public async Task Status_polls_are_recorded_on_the_simulator_clock()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.EventDelayMs = 60_000));
        var r = await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Keynote } }, clientUserIds = new[] { "client-2" } });
        var id = r["eventId"].GetString()!;
        for (int i = 0; i < 3; i++)
        {
            await sim.Status(r);
            sim.Clock.Advance(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(new[] { Sim.Start, Sim.Start.AddSeconds(30), Sim.Start.AddSeconds(60) }, sim.State.GetStatusPolls("Test School", id));
        using var resp = await sim.Http.GetAsync($"{sim.Host.ControlBaseUrl}/locations/Test%20School/events/{id}/polls");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Throws<KeyNotFoundException>(() => sim.State.GetStatusPolls("Test School", "nope"));
    }
}
