using System.Diagnostics;
using System.Net;

namespace VppPS.Simulator.Tests;

public class AuthFaultEventTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("Basic abc")]
    [InlineData("Bearer ")]
    [InlineData("bearer xyz")]
    public async Task Missing_or_malformed_authorization_is_401_9722(string? header)
    {
        await using var sim = await Sim.StartAsync();
        using var req = new HttpRequestMessage(HttpMethod.Get, sim.Host.AppleBaseUrl + "/assets");
        if (header != null) req.Headers.TryAddWithoutValidation("Authorization", header);
        using var resp = await sim.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Contains("9722", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_token_is_401_9622_by_default()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("client/config", token: "bm90IGEgdG9rZW4=");
        Assert.Equal(HttpStatusCode.Unauthorized, r.Status);
        Assert.Equal(9622, r.ErrorNumber);
        Assert.Equal("Invalid authentication token", r["errorMessage"].GetString());
    }

    [Fact]
    public async Task Unknown_token_is_200_9622_when_the_scenario_says_so()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.InvalidTokenStatus = 200));
        var r = await sim.Get("assets", token: "bm90IGEgdG9rZW4=");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(9622, r.ErrorNumber);
    }

    [Fact]
    public async Task Expired_token_is_401_9621_judged_by_the_clock()
    {
        await using var sim = await Sim.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("assets")).Status);
        sim.Clock.Advance(TimeSpan.FromDays(301));
        var r = await sim.Get("assets");
        Assert.Equal(HttpStatusCode.Unauthorized, r.Status);
        Assert.Equal(9621, r.ErrorNumber);
    }

    [Fact]
    public async Task Control_expire_revoke_and_renew()
    {
        await using var sim = await Sim.StartAsync();
        sim.State.ExpireToken("Test School");
        Assert.Equal(9621, (await sim.Get("assets")).ErrorNumber);
        var other = await sim.Get("assets", sim.Token("Other School"));
        Assert.Equal(HttpStatusCode.OK, other.Status);
        sim.State.RevokeToken("Other School");
        var revoked = await sim.Get("assets", sim.Token("Other School"));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.Status);
        Assert.Equal(9625, revoked.ErrorNumber);
        var oldToken = sim.Token("Test School");
        var fresh = sim.State.RenewToken("Test School");
        Assert.NotEqual(oldToken, fresh);
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("assets", fresh)).Status);
        Assert.Equal(9622, (await sim.Get("assets", oldToken)).ErrorNumber);
    }

    [Fact]
    public async Task Token_files_of_an_earlier_run_of_the_same_scenario_stay_valid_after_a_restart()
    {
        // Expiries relative to the start (the default year, tokenExpiresInDays) differ between runs,
        // and so do the files' expDate; the token inside is the same and still names its location.
        static SimulatorScenario Relative() => Scenarios.Small(s =>
        {
            s.Locations[0].TokenExpiresAt = null;
            s.Locations[1].TokenExpiresAt = null;
            s.Locations[1].TokenExpiresInDays = 12;
        });
        string school, other;
        await using (var first = await Sim.StartAsync(Relative()))
        {
            school = first.Token("Test School");
            other = first.Token("Other School");
        }
        var later = new ManualSimulatorClock(Sim.Start.AddDays(3).AddSeconds(17));
        await using var second = await Sim.StartAsync(Relative(), clock: later);
        Assert.NotEqual(school, second.Token("Test School")); // the new file carries the new expiry

        var config = await second.Get("client/config", school);
        Assert.Equal(HttpStatusCode.OK, config.Status);
        Assert.Equal("2049025000431439", config["uId"].GetString());
        Assert.Equal("2027-11-28T09:00:17+0000", config["tokenExpirationDate"].GetString()); // the location's expiry, not the old file's
        Assert.Equal(HttpStatusCode.OK, (await second.Get("assets", school)).Status);
        Assert.Equal("2026-12-10T09:00:17+0000", (await second.Get("client/config", other))["tokenExpirationDate"].GetString());

        // Expiry, revocation and renewal still apply to the old file.
        later.Advance(TimeSpan.FromDays(13));
        Assert.Equal(9621, (await second.Get("assets", other)).ErrorNumber);
        second.State.RenewToken("Test School");
        Assert.Equal(9622, (await second.Get("assets", school)).ErrorNumber);
    }

    [Fact]
    public async Task TokenExpirationDate_only_within_15_days_when_configured()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.TokenExpirationDateMode = "within15Days"));
        Assert.False((await sim.Get("assets")).Json.TryGetProperty("tokenExpirationDate", out _));
        Assert.True((await sim.Get("client/config")).Json.TryGetProperty("tokenExpirationDate", out _));
        sim.Clock.Advance(TimeSpan.FromDays(290));
        Assert.Equal("2027-09-21T09:00:00+0000", (await sim.Get("assets"))["tokenExpirationDate"].GetString());
    }

    [Fact]
    public async Task Rate_limit_answers_429_9646_per_token()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.Limits!["maxRequestPerSecond"] = 3));
        var replies = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => sim.Get("client/config")));
        var limited = replies.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.Equal(9646, r.ErrorNumber));
        // service/config is not limited per token
        var configs = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => sim.Get("service/config", token: null)));
        Assert.All(configs, r => Assert.Equal(HttpStatusCode.OK, r.Status));
    }

    [Fact]
    public async Task Faults_503_500_429_each_for_the_next_N_requests()
    {
        await using var sim = await Sim.StartAsync();
        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.Unavailable, Count = 2, RetryAfterSeconds = 7 });
        for (int i = 0; i < 2; i++)
        {
            var r = await sim.Get("assets");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status);
            Assert.Equal("7", r.Response.Headers.GetValues("Retry-After").Single());
        }
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("assets")).Status);

        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.InternalError, RetryAfterSeconds = 0 });
        var e500 = await sim.Get("assets");
        Assert.Equal(HttpStatusCode.InternalServerError, e500.Status);
        Assert.Equal(9603, e500.ErrorNumber);
        Assert.False(e500.Response.Headers.Contains("Retry-After"));

        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.RateLimited });
        var e429 = await sim.Get("users");
        Assert.Equal(HttpStatusCode.TooManyRequests, e429.Status);
        Assert.Equal(9646, e429.ErrorNumber);

        // a fault limited to one endpoint leaves the others alone
        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.Unavailable, Path = "assignments" });
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("users")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await sim.Get("assignments")).Status);
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("assignments")).Status);
    }

    [Fact]
    public async Task Slow_fault_delays_the_answer()
    {
        await using var sim = await Sim.StartAsync();
        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.Slow, DelayMs = 300 });
        var sw = Stopwatch.StartNew();
        var r = await sim.Get("assets");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.True(sw.ElapsedMilliseconds >= 280, $"{sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task VersionChange_fault_changes_versionId_in_the_middle_of_a_traversal()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.PageSize = 2));
        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.VersionChange, Path = "assignments" });
        var p0 = await sim.Get("assignments?pageIndex=0");
        var p1 = await sim.Get("assignments?pageIndex=1");
        Assert.NotEqual(p0["versionId"].GetString(), p1["versionId"].GetString());
        var again = await sim.Get("assignments?pageIndex=0");
        Assert.Equal(p1["versionId"].GetString(), again["versionId"].GetString());
    }

    [Fact]
    public async Task Events_stay_PENDING_until_the_delay_has_passed_on_the_clock()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.EventDelayMs = 60_000));
        var r = await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Keynote } }, clientUserIds = new[] { "client-2" } });
        var pending = await sim.Status(r);
        Assert.Equal("PENDING", pending["eventStatus"].GetString());
        Assert.Equal(0, pending["numCompleted"].GetInt32());
        Assert.Equal(1, pending["numRequested"].GetInt32());
        Assert.False(pending.Json.TryGetProperty("failures", out _));
        Assert.Equal(2, sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Keynote).AssignedCount); // unchanged while PENDING
        sim.State.AdvanceClock(TimeSpan.FromSeconds(61));
        var done = await sim.Status(r);
        Assert.Equal("COMPLETE", done["eventStatus"].GetString());
        Assert.Equal(1, done["numCompleted"].GetInt32());
        Assert.Equal(3, sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Keynote).AssignedCount);
    }

    [Fact]
    public async Task StayPending_fault_holds_an_event_until_released()
    {
        await using var sim = await Sim.StartAsync();
        sim.State.ScheduleFault("Test School", new SimulatorFault { Kind = SimulatorFaultKind.StayPending });
        var r = await sim.Post("users/create", new { users = new[] { new { clientUserId = "held" } } });
        Assert.Equal("PENDING", (await sim.Status(r))["eventStatus"].GetString());
        sim.State.AdvanceClock(TimeSpan.FromHours(1));
        Assert.Equal("PENDING", (await sim.Status(r))["eventStatus"].GetString());
        Assert.Equal(1, sim.State.ReleasePendingEvents());
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        // the next write is not held
        var r2 = await sim.Post("users/create", new { users = new[] { new { clientUserId = "free" } } });
        Assert.Equal("COMPLETE", (await sim.Status(r2))["eventStatus"].GetString());
    }

    [Fact]
    public async Task MdmInfo_from_client_config_is_on_every_response_and_another_mdm_can_take_over()
    {
        await using var sim = await Sim.StartAsync();
        var post = await sim.Post("client/config", new { mdmInfo = new { id = "d4b2c7e0-1111-4aaa-8bbb-000000000001", name = "VppPS", metadata = "host.example.org" } });
        Assert.Equal(HttpStatusCode.OK, post.Status);
        Assert.Equal("VppPS", post["mdmInfo"].GetProperty("name").GetString());
        var ev = await sim.Post("users/create", new { users = new[] { new { clientUserId = "m1" } } });
        foreach (var r in new[] { await sim.Get("assets"), await sim.Get("assignments"), await sim.Get("users"), ev, await sim.Status(ev), await sim.Get("client/config") })
            Assert.Equal("d4b2c7e0-1111-4aaa-8bbb-000000000001", r["mdmInfo"].GetProperty("id").GetString());
        sim.State.ClaimByOtherMdm("Test School", "other-id", "Jamf Pro", "jamf.example.com");
        var after = await sim.Get("assets");
        Assert.Equal("other-id", after["mdmInfo"].GetProperty("id").GetString());
        Assert.Equal("Jamf Pro", after["mdmInfo"].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("{\"mdmInfo\":{\"id\":\"x\",\"name\":\"n\"}}", 9723)]
    [InlineData("{\"mdmInfo\":{\"id\":\"xxxxxxxxxxx\",\"name\":\"n\",\"metadata\":\"m\"}}", 9724)]
    [InlineData("{\"mdmInfo\":{\"id\":\"x\",\"name\":\"nnnnnnnnnnn\",\"metadata\":\"m\"}}", 9725)]
    [InlineData("{\"mdmInfo\":{\"id\":\"x\",\"name\":\"n\",\"metadata\":\"mmmmmmmmmmm\"}}", 9713)]
    [InlineData("{\"notificationUrl\":\"https://example.org/n\"}", 9710)]
    [InlineData("{\"notificationAuthToken\":\"secret\"}", 9710)]
    [InlineData("{\"notificationUrl\":\"https://example.org/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\",\"notificationAuthToken\":\"s\"}", 9711)]
    [InlineData("{\"notificationUrl\":\"http://example.org/n\",\"notificationAuthToken\":\"s\"}", 9712)]
    [InlineData("{\"notificationUrl\":\"not a url\",\"notificationAuthToken\":\"s\"}", 9712)]
    [InlineData("{\"notificationTypes\":[\"NOPE\"]}", 9602)]
    public async Task Client_config_validation(string body, int error)
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s =>
        {
            s.Limits!["maxMdmIdLength"] = 10; s.Limits["maxMdmNameLength"] = 10; s.Limits["maxMdmMetadataLength"] = 10; s.Limits["maxNotificationLength"] = 40;
        }));
        var r = await sim.Post("client/config", body);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(error, r.ErrorNumber);
    }

    [Fact]
    public async Task Unreachable_notification_url_is_9728_and_changes_nothing()
    {
        await using var sim = await Sim.StartAsync();
        // a port nothing listens on: bind one, note it, release it
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0); l.Start(); var port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop();
        var r = await sim.Post("client/config", new { notificationUrl = $"http://127.0.0.1:{port}/vpp", notificationAuthToken = "s3cret", notificationTypes = new[] { "ASSET_MANAGEMENT" } });
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(9728, r.ErrorNumber);
        var cfg = await sim.Get("client/config");
        Assert.False(cfg.Json.TryGetProperty("notificationUrl", out _));
        Assert.Equal(0, cfg["subscribedNotificationTypes"].GetArrayLength());
    }
}
