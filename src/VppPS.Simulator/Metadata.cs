using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VppPS.Simulator;

/// <summary>
/// Both metadata services: the legacy lookup (itvt cookie, no JWT) and the api.ent-style catalog
/// (ES256 developer JWT + itvt cookie). The catalog is the union of every location's assets and
/// the scenario's catalog (store apps no location holds, such as subscriptions' parent apps);
/// custom B2B apps are visible only to the location that owns them.
/// </summary>
internal sealed class Metadata
{
    private readonly SimulatorState S;
    public Metadata(SimulatorState s) => S = s;

    private SimLocation? CookieLocation(HttpContext ctx)
    {
        var itvt = ctx.Request.Cookies["itvt"];
        if (string.IsNullOrEmpty(itvt)) return null;
        if (!S.TryFindByToken(itvt, out var l)) return null;
        lock (l.Sync) return l.Revoked || S.Now >= l.TokenExpiresAt ? null : l;
    }

    private List<AssetRow> Visible(IEnumerable<string> ids, SimLocation? owner)
    {
        var result = new List<AssetRow>();
        foreach (var id in ids.Distinct())
        {
            AssetRow? found = null;
            foreach (var l in S.Locs)
            {
                lock (l.Sync)
                    foreach (var a in l.Assets)
                        if (a.AdamId == id && (!a.IsB2BCustomApp || l == owner)) { found = a; break; }
                if (found != null) break;
            }
            found ??= S.Catalog.FirstOrDefault(a => a.AdamId == id);
            if (found != null) result.Add(found);
        }
        return result;
    }

    private static string[] Ids(string? s) =>
        (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // ------------------------------------------------------------ legacy lookup
    public Task LegacyLookupAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var owner = CookieLocation(ctx);
        var cc = q["cc"].ToString() is { Length: > 0 } c ? c.ToUpperInvariant() : "US";
        var assets = Visible(Ids(q["id"]), owner);
        var platform = q["platform"].ToString();
        return AppleApi.SendAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("results");
            w.WriteStartObject();
            foreach (var a in assets)
            {
                w.WritePropertyName(a.AdamId);
                w.WriteStartObject();
                w.WriteString("id", a.AdamId);
                w.WriteString("name", a.Name);
                w.WriteString("artistName", a.ArtistName);
                w.WritePropertyName("artwork");
                w.WriteStartObject();
                w.WriteNumber("width", 1024); w.WriteNumber("height", 1024);
                w.WriteString("url", $"{ctx.Request.Scheme}://{ctx.Request.Host}/artwork/{a.AdamId}/{{w}}x{{h}}bb.{{f}}");
                w.WriteEndObject();
                if (a.IsBook)
                {
                    w.WriteString("kind", "ebook");
                }
                else
                {
                    w.WriteString("bundleId", a.BundleId);
                    w.WriteString("kind", a.SupportedPlatforms.Contains("iOS") || platform != "macappstore" ? "iosSoftware" : "desktopApp");
                    w.WriteString("minimumOSVersion", a.MinimumOSVersion);
                    w.WriteBoolean("isVppDeviceBasedLicensingEnabled", a.DeviceAssignable);
                    w.WritePropertyName("offers");
                    w.WriteStartArray();
                    w.WriteStartObject();
                    w.WritePropertyName("version"); w.WriteStartObject(); w.WriteString("display", a.Version); w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WritePropertyName("deviceFamilies");
                w.WriteStartArray();
                foreach (var f in DeviceFamilies(a)) w.WriteStringValue(f);
                w.WriteEndArray();
                w.WritePropertyName("genres");
                w.WriteStartArray();
                foreach (var g in a.Genres) w.WriteStringValue(g);
                w.WriteEndArray();
                w.WriteBoolean("isB2BCustomApp", a.IsB2BCustomApp);
                w.WriteString("url", $"https://apps.example.invalid/{cc.ToLowerInvariant()}/{(a.IsBook ? "book" : "app")}/id{a.AdamId}");
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteNumber("version", 2);
            w.WriteBoolean("isAuthenticated", false);
            w.WritePropertyName("meta");
            w.WriteStartObject();
            w.WritePropertyName("storefront"); w.WriteStartObject(); w.WriteString("id", "143441"); w.WriteString("cc", cc); w.WriteEndObject();
            w.WritePropertyName("language"); w.WriteStartObject(); w.WriteString("tag", "en-us"); w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static IEnumerable<string> DeviceFamilies(AssetRow a)
    {
        if (a.SupportedPlatforms.Contains("iOS")) { yield return "iphone"; yield return "ipad"; }
        if (a.SupportedPlatforms.Contains("macOS")) yield return "mac";
        if (a.SupportedPlatforms.Contains("tvOS")) yield return "tvos";
        if (a.SupportedPlatforms.Contains("watchOS")) yield return "watch";
        if (a.SupportedPlatforms.Contains("visionOS")) yield return "realityDevice";
    }

    // ------------------------------------------------------------ api.ent-style catalog
    public async Task CatalogAsync(HttpContext ctx, string storefront, bool books)
    {
        if (ctx.Request.Method != "GET") { await CatalogErrorAsync(ctx, 405, "40500", "Method Not Allowed", "Only GET is supported."); return; }
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !VerifyJwt(auth[7..].Trim(), out var why))
        {
            await CatalogErrorAsync(ctx, 401, "40100", "Unauthorized", "Authentication Failed" + (auth.StartsWith("Bearer ") ? $": {Why(auth)}" : ""));
            return;
        }
        var owner = CookieLocation(ctx);
        var ids = Ids(ctx.Request.Query["ids"]);
        if (owner is null || ids.Length == 0)
        {
            await CatalogErrorAsync(ctx, 403, "40300", "Forbidden", "Invalid Stoken or Empty/Null ids Request Parameter");
            return;
        }
        var assets = Visible(ids, owner).Where(a => a.IsBook == books).ToList();
        await AppleApi.SendAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("data");
            w.WriteStartArray();
            foreach (var a in assets)
            {
                w.WriteStartObject();
                w.WriteString("id", a.AdamId);
                w.WriteString("type", books ? "books" : "apps");
                w.WriteString("href", $"/v1/catalog/{storefront}/{(books ? "books" : "apps")}/{a.AdamId}");
                w.WritePropertyName("attributes");
                w.WriteStartObject();
                w.WriteString("name", a.Name);
                w.WriteString("artistName", a.ArtistName);
                var artwork = $"{ctx.Request.Scheme}://{ctx.Request.Host}/artwork/{a.AdamId}/{{w}}x{{h}}bb.{{f}}";
                if (books)
                {
                    w.WritePropertyName("artwork");
                    WriteArtwork(w, artwork);
                }
                else
                {
                    w.WritePropertyName("deviceFamilies");
                    w.WriteStartArray();
                    foreach (var f in DeviceFamilies(a)) w.WriteStringValue(f);
                    w.WriteEndArray();
                    w.WriteBoolean("isB2BCustomApp", a.IsB2BCustomApp);
                    w.WriteBoolean("isVppDeviceBasedLicensingEnabled", a.DeviceAssignable);
                    w.WritePropertyName("platformAttributes");
                    w.WriteStartObject();
                    foreach (var p in a.SupportedPlatforms.Contains("iOS") ? new[] { "ios" }.Concat(a.SupportedPlatforms.Contains("macOS") ? ["osx"] : []) : ["osx"])
                    {
                        w.WritePropertyName(p);
                        w.WriteStartObject();
                        w.WriteString("bundleId", a.BundleId);
                        w.WritePropertyName("artwork");
                        WriteArtwork(w, artwork);
                        w.WriteNumber("externalVersionId", 800000000L + Math.Abs(a.Version.GetHashCode() % 1000000));
                        w.WriteString("minimumOSVersion", a.MinimumOSVersion);
                        w.WritePropertyName("latestVersionInfo");
                        w.WriteStartObject(); w.WriteString("versionDisplay", a.Version); w.WriteEndObject();
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void WriteArtwork(Utf8JsonWriter w, string url)
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteNumber("width", 1024);
        w.WriteNumber("height", 1024);
        w.WriteEndObject();
    }

    private string Why(string auth) => VerifyJwt(auth[7..].Trim(), out var why) ? "" : why;

    private static Task CatalogErrorAsync(HttpContext ctx, int status, string code, string title, string detail) =>
        AppleApi.SendAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("errors");
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("id", Guid.NewGuid().ToString("N").ToUpperInvariant());
            w.WriteString("title", title);
            w.WriteString("detail", detail);
            w.WriteString("status", status.ToString());
            w.WriteString("code", code);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>ES256 developer token check with the BCL only.</summary>
    internal bool VerifyJwt(string jwt, out string reason)
    {
        reason = "";
        var parts = jwt.Split('.');
        if (parts.Length != 3 || parts[2].Length == 0) { reason = "not a signed JWT"; return false; }
        JsonElement header, payload;
        byte[] sig;
        try
        {
            header = JsonDocument.Parse(B64Url(parts[0])).RootElement;
            payload = JsonDocument.Parse(B64Url(parts[1])).RootElement;
            sig = B64Url(parts[2]);
        }
        catch (Exception) { reason = "malformed JWT"; return false; }
        if (header.ValueKind != JsonValueKind.Object || payload.ValueKind != JsonValueKind.Object) { reason = "malformed JWT"; return false; }
        if (!header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "ES256") { reason = "alg must be ES256"; return false; }
        var kid = header.TryGetProperty("kid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        var key = S.Scenario.DeveloperKeys?.FirstOrDefault(d => d.KeyId == kid);
        if (key is null) { reason = "unknown kid"; return false; }
        var iss = payload.TryGetProperty("iss", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        if (iss != key.TeamId) { reason = "iss does not match the key's team"; return false; }
        if (!payload.TryGetProperty("iat", out var iatE) || !iatE.TryGetInt64(out var iat)
            || !payload.TryGetProperty("exp", out var expE) || !expE.TryGetInt64(out var exp)) { reason = "iat and exp are required"; return false; }
        if (exp - iat > 15777000) { reason = "exp is more than 6 months after iat"; return false; }
        var now = S.Now.ToUnixTimeSeconds();
        if (exp <= now) { reason = "token expired"; return false; }
        if (iat > now + 300) { reason = "iat is in the future"; return false; }
        if (sig.Length != 64) { reason = "bad signature"; return false; }
        try
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(key.PublicKeyPem);
            if (ec.KeySize != 256) { reason = "key is not P-256"; return false; }
            var ok = ec.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            if (!ok) reason = "bad signature";
            return ok;
        }
        catch (Exception) { reason = "bad key or signature"; return false; }
    }

    internal static byte[] B64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        s += (s.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException() };
        return Convert.FromBase64String(s);
    }
}
