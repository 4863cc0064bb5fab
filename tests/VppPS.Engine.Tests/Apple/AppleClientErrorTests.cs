using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

public class AppleClientErrorTests
{
    [Theory]
    [InlineData(200)]
    [InlineData(401)]
    public async Task An_error_in_the_body_is_an_error_whatever_the_status(int status)
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Error(status, 9622, "Invalid authentication token"));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().GetClientConfigAsync());

        Assert.Equal((VppErrorKind.TokenInvalid, "VppTokenInvalid", 9622), (error.Kind, error.ErrorId, error.AppleErrorNumber));
        Assert.Equal(1, apple.Handler.Count("client/config")); // no retry
    }

    [Theory]
    [InlineData(401, 9621, VppErrorKind.TokenExpired, "VppTokenExpired")]
    [InlineData(401, 9625, VppErrorKind.TokenInvalid, "VppTokenRevoked")]
    [InlineData(401, 9601, VppErrorKind.TokenInvalid, "VppTokenInvalid")]
    [InlineData(401, 9722, VppErrorKind.TokenInvalid, "VppTokenInvalid")]
    [InlineData(400, 9700, VppErrorKind.AppleError, "VppAppleError9700")]
    [InlineData(400, 9707, VppErrorKind.AppleError, "VppAppleError9707")]
    [InlineData(403, 9647, VppErrorKind.AppleError, "VppAppleError9647")]
    public async Task Error_numbers_map_to_kinds_and_are_not_retried(int status, int number, VppErrorKind kind, string errorId)
    {
        var apple = new TestApple();
        apple.Handler.On("assets/associate", _ => ScriptedHandler.Error(status, number));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().AssociateAssetsAsync(
            new ManageAssetsRequest { Assets = [new RequestAsset { AdamId = "1" }], SerialNumbers = ["S"] }));

        Assert.Equal((kind, errorId, number), (error.Kind, error.ErrorId, error.AppleErrorNumber));
        Assert.Equal(1, apple.Handler.Count("assets/associate"));
    }

    [Fact]
    public async Task An_error_number_after_a_page_of_data_is_still_an_error()
    {
        var apple = new TestApple();
        apple.Handler.On("assignments", _ => ScriptedHandler.Json(200,
            """{"assignments":[{"adamId":"1","serialNumber":"S1"}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"v1","errorNumber":9650,"errorMessage":"Invalid page index"}"""));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().GetAssignmentsAsync(null, 0));

        Assert.Equal(("VppAppleError9650", 9650), (error.ErrorId, error.AppleErrorNumber));
        Assert.Contains("Invalid page index", error.Message);
    }

    [Fact]
    public async Task Apple_error_message_is_passed_on()
    {
        var apple = new TestApple();
        apple.Handler.On("assets", _ => ScriptedHandler.Error(400, 9650, "Invalid page index"));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client().GetAssetsAsync(null, 99));

        Assert.Equal("VppAppleError9650", error.ErrorId);
        Assert.Contains("Invalid page index", error.Message);
    }

    [Fact]
    public async Task Verbose_reports_each_request_without_secrets()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(200, AppleSamples.ClientConfig));
        var client = apple.Client();

        await client.SetClientConfigAsync(new ClientConfigRequest { NotificationUrl = "https://mdm.example.org/notify", NotificationAuthToken = "notification-secret" });
        await Assert.ThrowsAsync<VppException>(() => client.GetAssetsAsync(new AssetQuery { ProductType = "App" }, 3));

        Assert.Contains(apple.Observer.VerboseLines, l => l.StartsWith("POST /mdm/v2/client/config -> 200 (") && l.EndsWith(" ms)"));
        Assert.Contains(apple.Observer.VerboseLines, l => l.StartsWith("GET /mdm/v2/assets?productType=App&pageIndex=3 -> 404"));
        Assert.Contains(apple.Observer.VerboseLines, l => l.StartsWith("GET /mdm/v2/service/config -> 200"));
        Assert.DoesNotContain(apple.Observer.VerboseLines, l => l.Contains(AppleSamples.SToken) || l.Contains("notification-secret"));
    }

    [Fact]
    public async Task Token_goes_as_bearer_except_to_service_config()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(200, AppleSamples.ClientConfig));

        await apple.Client().GetClientConfigAsync();

        Assert.Null(apple.Handler.Requests.Single(r => r.Path == "service/config").Authorization);
        Assert.Equal("Bearer " + AppleSamples.SToken, apple.Handler.Requests.Single(r => r.Path == "client/config").Authorization);
    }

    [Fact]
    public async Task Every_envelope_is_handed_to_the_callback()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(200, AppleSamples.ClientConfig));
        apple.Handler.On("assets/disassociate", _ => ScriptedHandler.Json(200, AppleSamples.Event));
        var client = apple.Client();
        var envelopes = new List<AppleEnvelope>();
        client.EnvelopeReceived += (_, e) => envelopes.Add(e);

        await client.GetClientConfigAsync();
        await client.DisassociateAssetsAsync(new ManageAssetsRequest { Assets = [new RequestAsset { AdamId = "1" }], SerialNumbers = ["S1"] });

        Assert.Equal(2, envelopes.Count);
        Assert.Equal("6d8c9e3a-1b2c-4d5e-8f90-123456789abc", envelopes[0].MdmInfo!.Id);
        Assert.Equal("GET /mdm/v2/client/config", envelopes[0].Endpoint);
        Assert.Null(envelopes[1].MdmInfo);
        Assert.Equal("2049025000431439", envelopes[1].UId);
        Assert.Equal(2030, envelopes[1].TokenExpirationDate!.Value.Year);
    }

    [Fact]
    public async Task A_throwing_envelope_callback_stops_the_call()
    {
        var apple = new TestApple();
        apple.Handler.On("client/config", _ => ScriptedHandler.Json(200, AppleSamples.ClientConfig));
        var client = apple.Client();
        client.EnvelopeReceived += (_, _) => throw new VppException(VppErrorKind.Conflict, "VppTokenClaimedByOtherMdm", "taken");

        var error = await Assert.ThrowsAsync<VppException>(() => client.GetClientConfigAsync());
        Assert.Equal("VppTokenClaimedByOtherMdm", error.ErrorId);
    }

    [Fact]
    public async Task Service_config_is_cached_five_minutes_and_its_urls_are_used()
    {
        var apple = new TestApple();
        apple.Handler.On("service/config", _ => ScriptedHandler.Json(200,
            ScriptedHandler.ServiceConfigJson.Replace($"{ScriptedHandler.Base}/client/config", $"{ScriptedHandler.Base}/elsewhere/config")));
        apple.Handler.On("elsewhere/config", _ => ScriptedHandler.Json(200, AppleSamples.ClientConfig));
        var cache = new AppleServiceConfigCache(apple.Clock);
        var first = apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, ServiceConfigCache = cache });
        var second = apple.Client(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, ServiceConfigCache = cache });

        await first.GetClientConfigAsync();
        await second.GetClientConfigAsync();
        apple.Clock.UtcNow += TimeSpan.FromMinutes(4);
        await first.GetClientConfigAsync();
        Assert.Equal(1, apple.Handler.Count("service/config"));

        apple.Clock.UtcNow += TimeSpan.FromMinutes(2);
        await second.GetClientConfigAsync();
        Assert.Equal(2, apple.Handler.Count("service/config"));
        Assert.Equal(4, apple.Handler.Count("elsewhere/config"));
        Assert.Equal(3, first.RequestCount);
    }
}
