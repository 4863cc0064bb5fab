using System.Text.Json;
using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

public class WireParsingTests
{
    [Theory]
    [InlineData("2030-11-08T22:33:22+0000")]
    [InlineData("2030-11-08T23:33:22+01:00")]
    [InlineData("2030-11-08T22:33:22Z")]
    [InlineData("2030-11-08T15:33:22-0700")]
    public void Apple_dates_parse_with_every_offset_style(string text)
    {
        Assert.Equal(new DateTimeOffset(2030, 11, 8, 22, 33, 22, TimeSpan.Zero), AppleDateConverter.Parse(text));
    }

    [Fact]
    public void An_unreadable_date_is_null_not_a_failure()
    {
        var response = JsonSerializer.Deserialize("""{"eventId":"e","tokenExpirationDate":"soon"}""", AppleJsonContext.Default.EventResponse)!;
        Assert.Null(response.TokenExpirationDate);
        Assert.Equal("e", response.EventId);
    }

    [Fact]
    public void Service_config_example_parses_limits_and_urls()
    {
        var config = JsonSerializer.Deserialize(AppleSamples.ServiceConfig, AppleJsonContext.Default.ServiceConfigResponse)!;
        Assert.Equal(15, config.Limits!["maxRequestPerSecond"]);
        Assert.Equal(25, config.EffectiveLimits.MaxAssets);
        Assert.Equal(100, config.EffectiveLimits.MaxRevokeSerialNumbers);
        Assert.Equal("https://vpp.itunes.apple.com/mdm/v2/status", config.Urls!["eventStatus"]);
        Assert.Equal(9601, config.ErrorCodes![0].ErrorNumber);
        Assert.Contains("ASSET_COUNT", config.NotificationTypes!);
    }

    [Fact]
    public void Client_config_example_parses_every_field()
    {
        var config = JsonSerializer.Deserialize(AppleSamples.ClientConfig, AppleJsonContext.Default.ClientConfigResponse)!;
        Assert.Equal("US", config.CountryISO2ACode);
        Assert.Equal("volumestore", config.DefaultPlatform);
        Assert.Equal("PS01", config.LocationName);
        Assert.Equal("VppPS", config.MdmInfo!.Name);
        Assert.Equal("https://mdm.example.org/notify", config.NotificationUrl);
        Assert.Equal(["ASSET_MANAGEMENT", "ASSET_COUNT"], config.SubscribedNotificationTypes!);
        Assert.Equal(2030, config.TokenExpirationDate!.Value.Year);
        Assert.Equal("2049025000431439", config.UId);
        Assert.Equal("https://school.apple.com", config.WebsiteUrl);
    }

    [Fact]
    public void Asset_page_parses_with_unknown_fields()
    {
        var json = $$"""{"assets":[{{AppleSamples.Asset}}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"abc","somethingNew":{"x":[1,2]},"uId":"1"}""";
        var page = JsonSerializer.Deserialize(json, AppleJsonContext.Default.GetAssetsResponse)!;
        var asset = Assert.Single(page.Items);
        Assert.Equal("408709785", asset.AdamId);
        Assert.Equal((5000, 10000, 0, 15000), (asset.AssignedCount, asset.AvailableCount, asset.RetiredCount, asset.TotalCount));
        Assert.True(asset.DeviceAssignable && asset.Revocable);
        Assert.Equal("App", asset.ProductType);
        Assert.Equal(["iOS"], asset.SupportedPlatforms!);
        Assert.Null(page.NextPageIndex);
        Assert.Equal("abc", page.VersionId);
    }

    [Fact]
    public void User_and_assignment_examples_parse()
    {
        var users = JsonSerializer.Deserialize($$"""{"users":[{{AppleSamples.User}}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"v"}""",
            AppleJsonContext.Default.GetUsersResponse)!;
        Assert.Equal(("client-101", "Registered", "46bc93ea3acd41e0a4919c02db0d7d3a"), (users.Items[0].ClientUserId, users.Items[0].Status, users.Items[0].InviteCode));

        var assignments = JsonSerializer.Deserialize(
            """{"assignments":[{"adamId":"1","serialNumber":"C02XYZ","pricingParam":"STDQ","userStatus":"Associated","idHash":"h"}],"currentPageIndex":0,"nextPageIndex":1,"size":1,"totalPages":2,"versionId":"v"}""",
            AppleJsonContext.Default.GetAssignmentsResponse)!;
        Assert.Equal("C02XYZ", assignments.Items[0].SerialNumber);
        Assert.Equal("Associated", assignments.Items[0].UserStatus);
        Assert.Equal(1, assignments.NextPageIndex);
    }

    [Fact]
    public void Failed_status_example_carries_failures_with_error_info()
    {
        var status = JsonSerializer.Deserialize(AppleSamples.FailedStatus, AppleJsonContext.Default.StatusResponse)!;
        Assert.Equal(StatusResponse.Failed, status.EventStatus);
        Assert.Equal((14, 16), (status.NumCompleted, status.NumRequested));
        var failure = Assert.Single(status.Failures!);
        Assert.Equal(9609, failure.ErrorNumber);
        Assert.Equal(["client-4"], failure.ErrorInfo!.ClientUserIds!);
    }

    [Fact]
    public void Requests_serialize_with_apple_field_names_and_no_nulls()
    {
        var json = JsonSerializer.Serialize(new ManageAssetsRequest
        {
            Assets = [new RequestAsset { AdamId = "408709785", PricingParam = "STDQ" }],
            SerialNumbers = ["C02"],
        }, AppleJsonContext.Default.ManageAssetsRequest);
        Assert.Equal("""{"assets":[{"adamId":"408709785","pricingParam":"STDQ"}],"serialNumbers":["C02"]}""", json);

        var config = JsonSerializer.Serialize(new ClientConfigRequest { MdmInfo = new MdmInfo { Id = "i", Name = "n", Metadata = "m" } },
            AppleJsonContext.Default.ClientConfigRequest);
        Assert.Equal("""{"mdmInfo":{"id":"i","name":"n","metadata":"m"}}""", config);
    }

    [Fact]
    public void Error_scan_finds_the_number_at_the_top_level_only()
    {
        Assert.Equal(9622, AppleHttpResult.FindError("""{"errorMessage":"Invalid authentication token","errorNumber":9622}"""u8)!.ErrorNumber);
        Assert.Null(AppleHttpResult.FindError("""{"failures":[{"errorNumber":9609}],"eventStatus":"FAILED"}"""u8));
        Assert.Null(AppleHttpResult.FindError("<html>503</html>"u8));
        // The scan stops at the first top-level array: pages are data (the deserialized envelope is checked too).
        Assert.Null(AppleHttpResult.FindError("""{"assignments":[{"adamId":"1"}],"errorNumber":9603}"""u8));
        Assert.Equal(9646, AppleHttpResult.FindError("""{"mdmInfo":{"id":"x"},"errorNumber":9646}"""u8)!.ErrorNumber);
    }
}
