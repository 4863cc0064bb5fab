using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Metadata;

namespace VppPS.Engine.Tests.Apple;

public class MetadataTests
{
    private const string LegacyAnswer = """
    {"results":{
      "408709785":{"id":"408709785","name":"Keynote","bundleId":"com.apple.Keynote","artistName":"Apple","kind":"iosSoftware",
        "deviceFamilies":["iphone","ipad","mac"],"genres":[{"name":"Productivity"}],"minimumOSVersion":"17.0","isB2BCustomApp":false,
        "isVppDeviceBasedLicensingEnabled":true,"offers":[{"version":{"display":"14.2 "}}],"url":"https://apps.apple.com/us/app/keynote/id408709785",
        "artwork":[{"width":60,"height":60,"url":"https://is1.example/60.png"},{"width":512,"height":512,"url":"https://is1.example/512.png"}]},
      "1234":{"name":"Custom Tool","bundleId":"com.org.tool","kind":"iosSoftware","isB2BCustomApp":true,
        "artwork":{"width":1024,"height":1024,"url":"https://is2.example/image/thumb/abc/{w}x{h}bb.{f}"}}},
     "version":2,"isAuthenticated":false,"meta":{"storefront":{"id":"143441","cc":"US"},"language":{"tag":"en-us"}}}
    """;

    private const string ApiAnswer = """
    {"data":[{"id":"408709785","type":"apps","href":"/v1/catalog/us/apps/408709785","attributes":{"name":"Keynote","artistName":"Apple",
      "deviceFamilies":["iphone","ipad"],"isB2BCustomApp":false,"isVppDeviceBasedLicensingEnabled":true,
      "platformAttributes":{"ios":{"bundleId":"com.apple.Keynote","artwork":{"url":"https://is1.example/x/{w}x{h}bb.{f}","width":1024,"height":1024},
        "externalVersionId":1,"minimumOSVersion":"17.0","latestVersionInfo":{"versionDisplay":"14.2"}}}}}]}
    """;

    [Fact]
    public async Task Legacy_lookup_reads_both_artwork_shapes_and_sends_the_cookie()
    {
        var apple = new TestApple();
        apple.Handler.On("wa/lookup", _ => ScriptedHandler.Json(200, LegacyAnswer));
        var client = new LegacyMetadataClient(AppleSamples.SToken, new HttpClient(apple.Handler), new Uri("https://apple.test/wa/lookup"),
            "enterprisestore", "US", apple.Options(), apple.Clock, apple.Observer);

        var found = await client.LookupAsync(["408709785", "1234"]);

        var keynote = found.Single(m => m.AdamId == "408709785");
        Assert.Equal(("Keynote", "com.apple.Keynote", "Apple", "14.2", "https://is1.example/512.png", "App"),
            (keynote.Name, keynote.BundleId, keynote.ArtistName, keynote.Version, keynote.IconUrl, keynote.ProductType));
        Assert.Equal(["iphone", "ipad", "mac"], keynote.Platforms);
        Assert.True(keynote.DeviceAssignable);
        var custom = found.Single(m => m.AdamId == "1234");
        Assert.True(custom.IsB2BCustomApp);
        Assert.Equal("https://is2.example/image/thumb/abc/512x512bb.png", custom.IconUrl);

        var request = apple.Handler.Requests.Single();
        Assert.Equal("itvt=" + AppleSamples.SToken, request.Cookie);
        Assert.Null(request.Authorization);
        Assert.Equal(("2", "408709785,1234", "mdm-lockup", "MDM", "enterprisestore", "US", "en"),
            (request.QueryValue("version"), request.QueryValue("id"), request.QueryValue("p"), request.QueryValue("caller"),
             request.QueryValue("platform"), request.QueryValue("cc"), request.QueryValue("l")));
        Assert.DoesNotContain(apple.Observer.VerboseLines, l => l.Contains(AppleSamples.SToken));
    }

    [Fact]
    public async Task Legacy_lookup_batches_ids()
    {
        var apple = new TestApple();
        apple.Handler.On("wa/lookup", _ => ScriptedHandler.Json(200, """{"results":{}}"""));
        var client = new LegacyMetadataClient(AppleSamples.SToken, new HttpClient(apple.Handler), new Uri("https://apple.test/wa/lookup"),
            "volumestore", "US", apple.Options(), apple.Clock);

        Assert.Empty(await client.LookupAsync(Enumerable.Range(1, 250).Select(i => i.ToString())));
        Assert.Equal([100, 100, 50], apple.Handler.Requests.Select(r => r.QueryValue("id")!.Split(',').Length));
    }

    [Fact]
    public async Task Metadata_api_sends_both_tokens_and_parses_platform_attributes()
    {
        var apple = new TestApple();
        apple.Handler.On("catalog/us/stoken-authenticated-apps", _ => ScriptedHandler.Json(200, ApiAnswer));
        using var signer = new DeveloperTokenSigner(NewKeyPem(out _), "TEAM123456", "KEY1234567", apple.Clock);
        var client = new MetadataApiClient(AppleSamples.SToken, new HttpClient(apple.Handler), signer, new Uri("https://apple.test/mdm/v2"),
            apple.Options(), apple.Clock, apple.Observer);

        var app = Assert.Single(await client.GetAppsAsync("US", ["408709785"]));

        Assert.Equal(("Keynote", "com.apple.Keynote", "14.2", "https://is1.example/x/512x512bb.png", "App", true),
            (app.Name, app.BundleId, app.Version, app.IconUrl, app.ProductType, app.DeviceAssignable));
        var request = apple.Handler.Requests.Single();
        Assert.Equal("Bearer " + signer.GetToken(), request.Authorization);
        Assert.Equal("itvt=" + AppleSamples.SToken, request.Cookie);
        Assert.Equal(("408709785", "iphone", "ipad,mac", "latestVersionInfo"),
            (request.QueryValue("ids"), request.QueryValue("platform"), request.QueryValue("additionalPlatforms"), request.QueryValue("extend[apps]")));
    }

    [Fact]
    public async Task Metadata_api_errors_become_vpp_exceptions()
    {
        var apple = new TestApple();
        apple.Handler.On("catalog/us/stoken-authenticated-books", _ => ScriptedHandler.Json(403,
            """{"errors":[{"id":"X","title":"Forbidden","detail":"Invalid Stoken or Empty/Null ids Request Parameter","status":"403","code":"40300"}]}"""));
        using var signer = new DeveloperTokenSigner(NewKeyPem(out _), "TEAM123456", "KEY1234567", apple.Clock);
        var client = new MetadataApiClient(AppleSamples.SToken, new HttpClient(apple.Handler), signer, new Uri("https://apple.test/mdm/v2"), apple.Options());

        var error = await Assert.ThrowsAsync<VppException>(() => client.GetBooksAsync("us", ["1"]));

        Assert.Equal((VppErrorKind.AppleError, "VppAppleMetadataError"), (error.Kind, error.ErrorId));
        Assert.Contains("40300", error.Message);
        Assert.DoesNotContain(AppleSamples.SToken, error.Message);
    }

    [Fact]
    public void Developer_token_is_a_verifiable_es256_jwt_with_apple_claims()
    {
        var clock = new FakeClock();
        using var signer = new DeveloperTokenSigner(NewKeyPem(out var publicKey), "TEAM123456", "KEY1234567", clock);

        var token = signer.GetToken();

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var verifier = ECDsa.Create(publicKey);
        Assert.True(verifier.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64UrlDecode(parts[2]),
            HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        using var header = JsonDocument.Parse(Base64UrlDecode(parts[0]));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("KEY1234567", header.RootElement.GetProperty("kid").GetString());
        using var claims = JsonDocument.Parse(Base64UrlDecode(parts[1]));
        Assert.Equal("TEAM123456", claims.RootElement.GetProperty("iss").GetString());
        var iat = claims.RootElement.GetProperty("iat").GetInt64();
        Assert.Equal(clock.UtcNow.ToUnixTimeSeconds(), iat);
        Assert.Equal(20 * 60, claims.RootElement.GetProperty("exp").GetInt64() - iat);
    }

    [Fact]
    public void Developer_token_is_reused_until_shortly_before_expiry()
    {
        var clock = new FakeClock();
        using var signer = new DeveloperTokenSigner(NewKeyPem(out _), "TEAM123456", "KEY1234567", clock);
        var first = signer.GetToken();

        clock.UtcNow += TimeSpan.FromMinutes(18);
        Assert.Same(first, signer.GetToken());
        clock.UtcNow += TimeSpan.FromMinutes(1.5);
        Assert.NotEqual(first, signer.GetToken());
    }

    [Fact]
    public void Developer_token_refuses_bad_keys_and_lifetimes()
    {
        Assert.Equal("VppDeveloperKeyInvalid", Assert.Throws<VppException>(() => new DeveloperTokenSigner("not a key", "T", "K")).ErrorId);
        Assert.Equal("VppDeveloperTokenLifetimeInvalid", Assert.Throws<VppException>(() =>
            new DeveloperTokenSigner(NewKeyPem(out _), "T", "K", lifetime: TimeSpan.FromSeconds(15777001))).ErrorId);
    }

    private static string NewKeyPem(out ECParameters publicKey)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        publicKey = key.ExportParameters(includePrivateParameters: false);
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }
}
