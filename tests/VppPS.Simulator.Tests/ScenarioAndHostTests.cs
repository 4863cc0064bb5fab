using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace VppPS.Simulator.Tests;

public class ScenarioAndHostTests
{
    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "vppsim-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Fact]
    public async Task Token_files_are_Apples_format_and_the_same_scenario_gives_the_same_tokens()
    {
        var dir = TempDir();
        try
        {
            string first;
            await using (var sim = await Sim.StartAsync(tokenDir: dir))
            {
                var t = sim.Host.TokenFiles.Single(x => x.LocationName == "Test School");
                Assert.True(File.Exists(t.Path));
                first = File.ReadAllText(t.Path!);
                Assert.Equal(t.SToken, first);
                Assert.Matches("^[A-Za-z0-9+/]+={0,2}$", first);
                var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(first))).RootElement;
                Assert.Equal(new[] { "expDate", "orgName", "token" }, json.EnumerateObject().Select(p => p.Name).OrderBy(x => x, StringComparer.Ordinal));
                Assert.Equal("2027-09-21T09:00:00+0000", json.GetProperty("expDate").GetString());
                Assert.Equal("Test Org", json.GetProperty("orgName").GetString());
                Assert.Equal(64, Convert.FromBase64String(json.GetProperty("token").GetString()!).Length);
                // the whole file content is the bearer token
                Assert.Equal(HttpStatusCode.OK, (await sim.Get("client/config", first)).Status);
                Assert.Equal(2, Directory.GetFiles(dir, "*.vpptoken").Length);
            }
            await using (var again = await Sim.StartAsync())
                Assert.Equal(first, again.Token());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Generated_locations_are_identical_every_time_and_consistent()
    {
        SimulatorScenario Gen() => new()
        {
            PageSize = 500, Limits = new() { ["maxRequestPerSecond"] = 100000 },
            Locations = { new ScenarioLocation { LocationName = "Big", UId = "3000000000000001", Generate = new() { Assets = 50, Users = 2000, Assignments = 10000, Seed = 3 } } },
        };
        await using var a = await Sim.StartAsync(Gen());
        await using var b = await Sim.StartAsync(Gen());
        var ra = a.State.GetAssignments("Big"); var rb = b.State.GetAssignments("Big");
        Assert.Equal(10000, ra.Count);
        Assert.Equal(ra, rb);
        Assert.Equal(a.State.GetUsers("Big"), b.State.GetUsers("Big"));
        Assert.Equal(JsonSerializer.Serialize(a.State.GetAssets("Big")), JsonSerializer.Serialize(b.State.GetAssets("Big")));
        Assert.Equal(ra.Count, ra.Distinct().Count());
        Scenarios.AssertCountsAddUp(a.State, "Big");
        var assets = a.State.GetAssets("Big").ToDictionary(x => x.AdamId);
        Assert.Contains(assets.Values, x => x.ProductType == "Book");
        Assert.Contains(assets.Values, x => x.ProductType == "App" && !x.DeviceAssignable);
        Assert.All(ra.Where(x => x.SerialNumber != null), x => Assert.True(assets[x.AdamId].DeviceAssignable));
        var users = a.State.GetUsers("Big");
        Assert.Contains(users, u => u.Status == "Registered");
        Assert.Contains(users, u => u.Status == "Retired");
        Assert.True(users.Count(u => u.Status == "Associated") > users.Count / 2);
        // served over HTTP page by page, the same rows in the same order
        var served = new List<string>();
        for (int p = 0; ; p++)
        {
            var page = await a.Get("assignments?pageIndex=" + p, a.Token("Big"));
            served.AddRange(page["assignments"].EnumerateArray().Select(x => x.GetProperty("adamId").GetString() + "/" + (x.TryGetProperty("clientUserId", out var c) ? c.GetString() : x.GetProperty("serialNumber").GetString())));
            if (!page.Json.TryGetProperty("nextPageIndex", out _)) break;
        }
        Assert.Equal(ra.Select(x => x.AdamId + "/" + (x.ClientUserId ?? x.SerialNumber)), served);
    }

    [Theory]
    [InlineData("{\"locations\":[{\"locationName\":\"A\",\"assets\":[{\"adamId\":\"1\",\"totalCount\":1}],\"users\":[{\"clientUserId\":\"u\",\"status\":\"Associated\"},{\"clientUserId\":\"v\",\"status\":\"Associated\"}],\"assignments\":[{\"adamId\":\"1\",\"clientUserId\":\"u\"},{\"adamId\":\"1\",\"clientUserId\":\"v\"}]}]}")]
    [InlineData("{\"locations\":[{\"locationName\":\"A\",\"assets\":[{\"adamId\":\"1\",\"productType\":\"Book\"}],\"assignments\":[{\"adamId\":\"1\",\"serialNumber\":\"S\"}]}]}")]
    [InlineData("{\"locations\":[{\"locationName\":\"A\",\"assignments\":[{\"adamId\":\"9\",\"serialNumber\":\"S\"}]}]}")]
    [InlineData("{\"invalidTokenStatus\":403,\"locations\":[]}")]
    public async Task Inconsistent_scenarios_are_refused(string json)
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => SimulatorHost.StartAsync(new SimulatorOptions { Scenario = SimulatorScenario.Parse(json) }));
    }

    [Fact]
    public async Task Demo_scenario_is_a_school_district()
    {
        await using var sim = await Sim.StartAsync(SimulatorScenario.Load("Demo"));
        var names = sim.State.Locations.Select(l => l.LocationName).ToList();
        Assert.Equal(new[] { "Riverside High School", "Lincoln Middle School", "Oak Park Elementary" }, names);
        var hs = sim.State.GetAssets("Riverside High School");
        Assert.Contains(hs, a => a.AdamId == "361285480" && a.Name == "Keynote");
        Assert.Contains(hs, a => a.IsB2BCustomApp);
        Assert.Contains(hs, a => a.Unlimited);
        Assert.Contains(hs, a => a.ProductType == "Book");
        foreach (var l in names) Scenarios.AssertCountsAddUp(sim.State, l);
        var r = await sim.Get("client/config", sim.Token("Riverside High School"));
        Assert.Equal("Riverside High School", r["locationName"].GetString());
    }

    [Fact]
    public async Task Invitation_url_from_service_config_accepts_the_invitation()
    {
        await using var sim = await Sim.StartAsync();
        var template = (await sim.Get("service/config", null))["urls"].GetProperty("invitationEmail").GetString()!;
        var code = sim.State.GetUsers("Test School").Single(u => u.ClientUserId == "client-3").InviteCode!;
        using var resp = await sim.Http.GetAsync(template.Replace("%25inviteCode%25", code));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("Associated", sim.State.GetUsers("Test School").Single(u => u.ClientUserId == "client-3").Status);
    }

    [Fact]
    public async Task Control_api_over_http()
    {
        await using var sim = await Sim.StartAsync();
        async Task<(HttpStatusCode, JsonElement)> Ctl(HttpMethod m, string path, object? body = null)
        {
            using var req = new HttpRequestMessage(m, sim.Host.ControlBaseUrl + path);
            if (body != null) req.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
            using var resp = await sim.Http.SendAsync(req);
            var text = await resp.Content.ReadAsStringAsync();
            return (resp.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
        }
        var (s, locs) = await Ctl(HttpMethod.Get, "/locations");
        Assert.Equal(HttpStatusCode.OK, s);
        Assert.Equal(2, locs.GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await Ctl(HttpMethod.Post, "/locations/Test%20School/claim", new { id = "x", name = "Intune", metadata = "m" })).Item1);
        Assert.Equal("Intune", (await sim.Get("assets"))["mdmInfo"].GetProperty("name").GetString());
        var (_, bought) = await Ctl(HttpMethod.Post, $"/locations/2049025000431439/assets/{Scenarios.Pages}/buy", new { count = 5 });
        Assert.Equal(8, bought.GetProperty("totalCount").GetInt64());
        Assert.Equal(HttpStatusCode.Conflict, (await Ctl(HttpMethod.Post, $"/locations/Test%20School/assets/{Scenarios.Pages}/refund", new { count = 99 })).Item1);
        var (_, accepted) = await Ctl(HttpMethod.Post, "/locations/Test%20School/users/client-3/accept");
        Assert.Equal("Associated", accepted.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Ctl(HttpMethod.Post, "/locations/Test%20School/faults", new { kind = "503", count = 1, retryAfterSeconds = 3 })).Item1);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await sim.Get("assets")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Ctl(HttpMethod.Post, "/locations/Test%20School/faults", new { kind = "internalError", count = 5 })).Item1);
        Assert.Equal(HttpStatusCode.OK, (await Ctl(HttpMethod.Delete, "/locations/Test%20School/faults")).Item1);
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("assets")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Ctl(HttpMethod.Post, "/locations/Test%20School/faults", new { kind = "meteor" })).Item1);
        var (_, clock) = await Ctl(HttpMethod.Post, "/clock/advance", new { seconds = 3600 });
        Assert.Equal(Sim.Start.AddHours(1), clock.GetProperty("now").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.OK, (await Ctl(HttpMethod.Post, "/locations/Test%20School/expire")).Item1);
        Assert.Equal(9621, (await sim.Get("assets")).ErrorNumber);
        Assert.Equal(HttpStatusCode.OK, (await Ctl(HttpMethod.Post, "/locations/Other%20School/revoke")).Item1);
        Assert.Equal(9625, (await sim.Get("assets", sim.Token("Other School"))).ErrorNumber);
        var (_, assignments) = await Ctl(HttpMethod.Get, "/locations/Test%20School/assignments");
        Assert.Equal(4, assignments.GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await Ctl(HttpMethod.Get, "/locations/Nowhere")).Item1);
        // control paths never mix with Apple's
        Assert.Equal(HttpStatusCode.NotFound, (await sim.Get("_sim/locations")).Status);
    }

    [Fact]
    public async Task Executable_prints_its_address_and_exits_when_stdin_closes()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "VppPS.Simulator.dll");
        var dir = TempDir();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "--scenario", "Demo", "--urls", "http://127.0.0.1:0", "--token-dir", dir, "--exit-on-stdin-close" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        try
        {
            var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var m = Regex.Match(line ?? "", @"^VppPS\.Simulator listening on (http://127\.0\.0\.1:\d+)$");
            Assert.True(m.Success, line);
            using var http = new HttpClient();
            var cfg = await http.GetStringAsync(m.Groups[1].Value + "/mdm/v2/service/config");
            Assert.Contains("maxRequestPerSecond", cfg);
            Assert.Equal(3, Directory.GetFiles(dir, "*.vpptoken").Length);
            p.StandardInput.Close();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Executable_exits_cleanly_on_SIGTERM()
    {
        if (OperatingSystem.IsWindows()) return;
        var dll = Path.Combine(AppContext.BaseDirectory, "VppPS.Simulator.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--scenario", "Demo", "--urls", "http://127.0.0.1:0" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        try
        {
            var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("VppPS.Simulator listening on http://127.0.0.1:", line);
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill!.WaitForExitAsync();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
    }
}
