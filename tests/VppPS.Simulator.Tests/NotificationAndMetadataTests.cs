using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VppPS.Simulator.Tests;

/// <summary>A tiny Kestrel listener on 127.0.0.1:0 that records notifications.</summary>
internal sealed class Listener : IAsyncDisposable
{
    private readonly WebApplication _app;
    public readonly ConcurrentQueue<(string Auth, JsonElement Body)> Received = new();
    public int FailFirst;
    private int _calls;
    public string Url { get; private set; } = "";

    private Listener()
    {
        var b = WebApplication.CreateSlimBuilder();
        b.Logging.ClearProviders();
        b.WebHost.UseUrls("http://127.0.0.1:0");
        _app = b.Build();
        _app.Run(async ctx =>
        {
            if (Interlocked.Increment(ref _calls) <= FailFirst) { ctx.Response.StatusCode = 500; return; }
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            Received.Enqueue((ctx.Request.Headers.Authorization.ToString(), doc.RootElement.Clone()));
            ctx.Response.StatusCode = 200;
        });
    }

    public int Calls => Volatile.Read(ref _calls);

    public static async Task<Listener> StartAsync()
    {
        var l = new Listener();
        await l._app.StartAsync();
        l.Url = l._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/vpp/notify";
        return l;
    }

    public async Task<JsonElement> WaitFor(string type, Func<JsonElement, bool>? match = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var (_, body) in Received)
                if (body.GetProperty("notificationType").GetString() == type && (match?.Invoke(body) ?? true)) return body;
            await Task.Delay(20);
        }
        throw new TimeoutException($"No {type} notification arrived.");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public class NotificationTests
{
    private static async Task Configure(Sim sim, Listener l, params string[] types)
    {
        var r = await sim.Post("client/config", new { notificationUrl = l.Url, notificationAuthToken = "notify-secret", notificationTypes = types });
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(l.Url, r["notificationUrl"].GetString());
        Assert.Equal(types, r["subscribedNotificationTypes"].EnumerateArray().Select(x => x.GetString()));
    }

    [Fact]
    public async Task Configuring_sends_TEST_NOTIFICATION_with_the_bearer_token()
    {
        await using var l = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync();
        await Configure(sim, l, "ASSET_MANAGEMENT");
        var n = await l.WaitFor("TEST_NOTIFICATION");
        Assert.Equal(new[] { "notification", "notificationId", "notificationType", "uId" }, n.EnumerateObject().Select(p => p.Name).OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Object, n.GetProperty("notification").ValueKind);
        Assert.Empty(n.GetProperty("notification").EnumerateObject());
        Assert.Equal("2049025000431439", n.GetProperty("uId").GetString());
        Assert.Equal("Bearer notify-secret", l.Received.First().Auth);
        // partial update keeps the notification settings
        var mdm = await sim.Post("client/config", new { mdmInfo = new { id = "i", name = "n", metadata = "m" } });
        Assert.Equal(l.Url, mdm["notificationUrl"].GetString());
    }

    [Fact]
    public async Task Asset_management_user_management_associated_and_count_notifications()
    {
        await using var l = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync();
        await Configure(sim, l, "ASSET_MANAGEMENT", "USER_MANAGEMENT", "USER_ASSOCIATED", "ASSET_COUNT");

        var ev = await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Keynote, pricingParam = "STDQ" } }, serialNumbers = new[] { "C02000000777" } });
        var id = ev["eventId"].GetString();
        var am = await l.WaitFor("ASSET_MANAGEMENT", b => b.GetProperty("notification").GetProperty("eventId").GetString() == id);
        var payload = am.GetProperty("notification");
        Assert.Equal("SUCCESS", payload.GetProperty("result").GetString());
        Assert.Equal("ASSOCIATE", payload.GetProperty("type").GetString());
        var a = Assert.Single(payload.GetProperty("assignments").EnumerateArray());
        Assert.Equal("C02000000777", a.GetProperty("serialNumber").GetString());
        Assert.Equal(Scenarios.Keynote, a.GetProperty("adamId").GetString());

        var bad = await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Keynote } }, clientUserIds = new[] { "ghost" } });
        var failure = await l.WaitFor("ASSET_MANAGEMENT", b => b.GetProperty("notification").GetProperty("eventId").GetString() == bad["eventId"].GetString());
        Assert.Equal("FAILURE", failure.GetProperty("notification").GetProperty("result").GetString());
        Assert.Equal(9609, failure.GetProperty("notification").GetProperty("error").GetProperty("errorNumber").GetInt32());

        await sim.Post("users/create", new { users = new[] { new { clientUserId = "invitee", email = "invitee@example.org" } } });
        var um = await l.WaitFor("USER_MANAGEMENT");
        Assert.Equal("CREATE", um.GetProperty("notification").GetProperty("type").GetString());
        Assert.Equal("invitee", um.GetProperty("notification").GetProperty("users")[0].GetProperty("clientUserId").GetString());

        sim.State.AcceptInvitation("Test School", "invitee");
        var ua = await l.WaitFor("USER_ASSOCIATED");
        var user = ua.GetProperty("notification").GetProperty("associatedUsers")[0];
        Assert.Equal("Associated", user.GetProperty("status").GetString());
        Assert.True(user.TryGetProperty("idHash", out _));

        sim.State.BuyLicenses("Test School", Scenarios.Pages, 12);
        var ac = await l.WaitFor("ASSET_COUNT");
        Assert.Equal(Scenarios.Pages, ac.GetProperty("notification").GetProperty("adamId").GetString());
        Assert.Equal(12, ac.GetProperty("notification").GetProperty("countDelta").GetInt32());
        Assert.Equal("STDQ", ac.GetProperty("notification").GetProperty("pricingParam").GetString());
        sim.State.RefundLicenses("Test School", Scenarios.Pages, 2);
        await l.WaitFor("ASSET_COUNT", b => b.GetProperty("notification").GetProperty("countDelta").GetInt32() == -2);
    }

    [Fact]
    public async Task Unsubscribed_types_are_not_sent_and_delivery_is_retried_up_to_3_times()
    {
        await using var l = await Listener.StartAsync();
        await using var sim = await Sim.StartAsync();
        await Configure(sim, l, "ASSET_COUNT");
        await sim.Post("users/create", new { users = new[] { new { clientUserId = "quiet" } } });
        l.FailFirst = l.Calls + 2; // the next two deliveries fail with 500
        sim.State.BuyLicenses("Test School", Scenarios.Pages, 1);
        await l.WaitFor("ASSET_COUNT");
        var rec = sim.State.Notifications.Single(n => n.NotificationType == "ASSET_COUNT");
        Assert.Equal(3, rec.Attempts);
        Assert.True(rec.Delivered);
        Assert.DoesNotContain(l.Received, x => x.Body.GetProperty("notificationType").GetString() == "USER_MANAGEMENT");
        Assert.Contains("Bearer notify-secret", l.Received.Select(x => x.Auth));
    }
}

public class MetadataTests
{
    private static (ECDsa key, string pem) NewKey()
    {
        var k = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (k, k.ExportSubjectPublicKeyInfoPem());
    }

    private static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Jwt(ECDsa key, string alg = "ES256", string kid = "KEY0000001", string iss = "TEAM000001", long? iat = null, long? exp = null)
    {
        long now = Sim.Start.ToUnixTimeSeconds();
        var header = B64(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { alg, kid, typ = "JWT" })));
        var payload = B64(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { iss, iat = iat ?? now, exp = exp ?? now + 3600 })));
        var sig = key.SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return header + "." + payload + "." + B64(sig);
    }

    private static async Task<(HttpStatusCode, JsonElement)> Catalog(Sim sim, string? jwt, string? itvt, string kind = "apps", string ids = "361285480,1598346602")
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"{sim.Host.MetadataBaseUrl}/catalog/us/stoken-authenticated-{kind}?ids={ids}&platform=iphone");
        if (jwt != null) req.Headers.TryAddWithoutValidation("Authorization", "Bearer " + jwt);
        if (itvt != null) req.Headers.TryAddWithoutValidation("Cookie", "itvt=" + itvt);
        using var resp = await sim.Http.SendAsync(req);
        return (resp.StatusCode, JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task Legacy_lookup_shows_custom_B2B_apps_only_with_the_itvt_cookie()
    {
        await using var sim = await Sim.StartAsync();
        var url = $"{sim.Host.LegacyLookupUrl}?version=2&id={Scenarios.Keynote},{Scenarios.Custom},{Scenarios.Book}&p=mdm-lockup&caller=MDM&platform=volumestore&cc=us&l=en";
        var anon = JsonDocument.Parse(await sim.Http.GetStringAsync(url)).RootElement;
        Assert.False(anon.GetProperty("isAuthenticated").GetBoolean());
        Assert.True(anon.GetProperty("results").TryGetProperty(Scenarios.Keynote, out var k));
        Assert.Equal("Keynote", k.GetProperty("name").GetString());
        Assert.Equal("com.apple.Keynote", k.GetProperty("bundleId").GetString());
        Assert.Equal("iosSoftware", k.GetProperty("kind").GetString());
        Assert.False(anon.GetProperty("results").TryGetProperty(Scenarios.Custom, out _));
        Assert.Equal("ebook", anon.GetProperty("results").GetProperty(Scenarios.Book).GetProperty("kind").GetString());
        Assert.Equal("US", anon.GetProperty("meta").GetProperty("storefront").GetProperty("cc").GetString());

        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.TryAddWithoutValidation("Cookie", "itvt=" + sim.Token());
        var authed = JsonDocument.Parse(await (await sim.Http.SendAsync(req)).Content.ReadAsStringAsync()).RootElement;
        var custom = authed.GetProperty("results").GetProperty(Scenarios.Custom);
        Assert.True(custom.GetProperty("isB2BCustomApp").GetBoolean());
        Assert.Equal("org.example.hallpass", custom.GetProperty("bundleId").GetString());

        // another location's token does not see this location's custom app
        using var other = new HttpRequestMessage(HttpMethod.Get, url);
        other.Headers.TryAddWithoutValidation("Cookie", "itvt=" + sim.Token("Other School"));
        var o = JsonDocument.Parse(await (await sim.Http.SendAsync(other)).Content.ReadAsStringAsync()).RootElement;
        Assert.False(o.GetProperty("results").TryGetProperty(Scenarios.Custom, out _));
    }

    [Fact]
    public async Task Catalog_accepts_a_valid_ES256_developer_token()
    {
        var (key, pem) = NewKey();
        using var _ = key;
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.DeveloperKeys = [new() { TeamId = "TEAM000001", KeyId = "KEY0000001", PublicKeyPem = pem }]));
        var (status, body) = await Catalog(sim, Jwt(key), sim.Token());
        Assert.Equal(HttpStatusCode.OK, status);
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, data.Count);
        var keynote = data.First(d => d.GetProperty("id").GetString() == Scenarios.Keynote);
        Assert.Equal("apps", keynote.GetProperty("type").GetString());
        var attrs = keynote.GetProperty("attributes");
        Assert.Equal("Keynote", attrs.GetProperty("name").GetString());
        Assert.Equal("com.apple.Keynote", attrs.GetProperty("platformAttributes").GetProperty("ios").GetProperty("bundleId").GetString());
        Assert.Contains("{w}x{h}bb.{f}", attrs.GetProperty("platformAttributes").GetProperty("ios").GetProperty("artwork").GetProperty("url").GetString());
        Assert.True(data.First(d => d.GetProperty("id").GetString() == Scenarios.Custom).GetProperty("attributes").GetProperty("isB2BCustomApp").GetBoolean());
        var (bs, books) = await Catalog(sim, Jwt(key), sim.Token(), "books", Scenarios.Book);
        Assert.Equal(HttpStatusCode.OK, bs);
        Assert.Equal("books", books.GetProperty("data")[0].GetProperty("type").GetString());
        // without a valid sToken cookie: 403 40300
        var (s403, e403) = await Catalog(sim, Jwt(key), null);
        Assert.Equal(HttpStatusCode.Forbidden, s403);
        Assert.Equal("40300", e403.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Catalog_rejects_bad_developer_tokens_with_401()
    {
        var (key, pem) = NewKey();
        var (otherKey, _) = NewKey();
        using var k1 = key; using var k2 = otherKey;
        using var rsa = RSA.Create(2048);
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.DeveloperKeys = [new() { TeamId = "TEAM000001", KeyId = "KEY0000001", PublicKeyPem = pem }]));
        long now = Sim.Start.ToUnixTimeSeconds();
        var good = Jwt(key);
        var parts = good.Split('.');
        var hsHeader = B64(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"kid\":\"KEY0000001\"}"));
        var noneHeader = B64(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"kid\":\"KEY0000001\"}"));
        var bad = new Dictionary<string, string?>
        {
            ["missing"] = null,
            ["wrong signature"] = Jwt(otherKey),
            ["tampered payload"] = parts[0] + "." + B64(Encoding.UTF8.GetBytes("{\"iss\":\"TEAM000001\",\"iat\":" + now + ",\"exp\":" + (now + 7200) + "}")) + "." + parts[2],
            ["alg HS256"] = hsHeader + "." + parts[1] + "." + B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes("k"), Encoding.ASCII.GetBytes(hsHeader + "." + parts[1]))),
            ["alg none"] = noneHeader + "." + parts[1] + ".",
            ["wrong kid"] = Jwt(key, kid: "OTHERKEY01"),
            ["wrong iss"] = Jwt(key, iss: "TEAM999999"),
            ["exp over 6 months"] = Jwt(key, iat: now, exp: now + 15777001),
            ["expired"] = Jwt(key, iat: now - 7200, exp: now - 60),
            ["garbage"] = "abc.def.ghi",
        };
        foreach (var (name, jwt) in bad)
        {
            var (status, body) = await Catalog(sim, jwt, sim.Token());
            Assert.True(status == HttpStatusCode.Unauthorized, name);
            Assert.Equal("401", body.GetProperty("errors")[0].GetProperty("status").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await Catalog(sim, Jwt(key, iat: now, exp: now + 15777000), sim.Token())).Item1);
        // the same token expires when the clock moves past exp
        sim.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Catalog(sim, good, sim.Token())).Item1);
    }

    /// <summary>The legacy lookup's answer for <paramref name="ids"/>, with the itvt cookie of <paramref name="itvt"/> when given.</summary>
    private static async Task<JsonElement> Lookup(Sim sim, string ids, string? itvt = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"{sim.Host.LegacyLookupUrl}?version=2&id={ids}&p=mdm-lockup&caller=MDM&platform=volumestore&cc=us&l=en");
        if (itvt != null) req.Headers.TryAddWithoutValidation("Cookie", "itvt=" + itvt);
        using var resp = await sim.Http.SendAsync(req);
        return JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.GetProperty("results").Clone();
    }

    [Fact]
    public async Task The_demo_catalog_names_the_parent_app_of_every_subscription()
    {
        await using var sim = await Sim.StartAsync(SimulatorScenario.Load("Demo"));
        var parents = sim.State.Locations.SelectMany(l => sim.State.GetSubscriptions(l.LocationName)).Select(s => s.ParentAdamId).OfType<long>().Distinct().ToList();
        Assert.Contains(719219382L, parents);
        foreach (var itvt in new[] { null, sim.Token("Oak Park Elementary") })
        {
            var results = await Lookup(sim, string.Join(",", parents), itvt);
            foreach (var parent in parents)
                Assert.False(string.IsNullOrEmpty(results.GetProperty(parent.ToString()).GetProperty("name").GetString()), $"parent {parent}");
            // No location holds the reading app: the scenario's catalog names it.
            var reads = results.GetProperty("719219382");
            Assert.Equal("Riverside Reads", reads.GetProperty("name").GetString());
            Assert.Equal("iosSoftware", reads.GetProperty("kind").GetString());
            Assert.False(reads.GetProperty("isB2BCustomApp").GetBoolean());
        }
        Assert.DoesNotContain(sim.State.Locations, l => sim.State.GetAssets(l.LocationName).Any(a => a.AdamId == "719219382"));
    }

    [Fact]
    public async Task A_catalog_app_is_found_by_both_metadata_services_and_is_no_asset()
    {
        var (key, pem) = NewKey();
        using var _ = key;
        await using var sim = await Sim.StartAsync(Scenarios.Small(s =>
        {
            s.DeveloperKeys = [new() { TeamId = "TEAM000001", KeyId = "KEY0000001", PublicKeyPem = pem }];
            s.Catalog = [new() { AdamId = "5550001", Name = "Parent App", BundleId = "org.example.parent", ArtistName = "Parent Inc." }];
        }));
        var legacy = (await Lookup(sim, $"5550001,{Scenarios.Keynote}")).GetProperty("5550001");
        Assert.Equal(("Parent App", "org.example.parent", "Parent Inc."),
            (legacy.GetProperty("name").GetString(), legacy.GetProperty("bundleId").GetString(), legacy.GetProperty("artistName").GetString()));
        var (status, body) = await Catalog(sim, Jwt(key), sim.Token(), "apps", "5550001");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Parent App", body.GetProperty("data")[0].GetProperty("attributes").GetProperty("name").GetString());
        // The catalog lists what Apple's store knows: no location owns it, so GET /assets does not list it.
        Assert.DoesNotContain((await sim.Get("assets")).Json.GetProperty("assets").EnumerateArray(), a => a.GetProperty("adamId").GetString() == "5550001");
    }

    [Theory]
    [InlineData("[{\"adamId\":\"1\",\"isB2BCustomApp\":true}]")]     // custom apps belong to a location
    [InlineData("[{\"adamId\":\"1\"},{\"adamId\":\"1\"}]")]          // twice
    [InlineData("[{\"name\":\"no id\"}]")]
    public async Task A_catalog_that_does_not_add_up_is_refused(string catalog)
    {
        var json = "{\"catalog\":" + catalog + ",\"locations\":[{\"locationName\":\"A\"}]}";
        await Assert.ThrowsAsync<InvalidDataException>(() => SimulatorHost.StartAsync(new SimulatorOptions { Scenario = SimulatorScenario.Parse(json) }));
    }
}
