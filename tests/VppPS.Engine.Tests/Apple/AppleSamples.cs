namespace VppPS.Engine.Tests.Apple;

/// <summary>Apple's documented example payloads, as quoted in the spec (sections 2.1-2.9).</summary>
internal static class AppleSamples
{
    public const string SToken = "eyJ0b2tlbiI6InNlY3JldC1vcmctdG9rZW4tdmFsdWUiLCJleHBEYXRlIjoiMjAzMC0xMS0wOFQyMjozMzoyMiswMDAwIiwib3JnTmFtZSI6Ik9SRzEyMzQ1In0=";

    public const string ServiceConfig = """
    {
      "errorCodes": [
        {"errorMessage": "Login required.", "errorNumber": 9601},
        {"errorMessage": "Too many requests.", "errorNumber": 9646}
      ],
      "limits": {
        "maxAssets": 25, "maxClientUserIds": 1000, "maxSerialNumbers": 1000,
        "maxRevokeClientUserIds": 100, "maxRevokeSerialNumbers": 100, "maxUsers": 100,
        "maxNotificationLength": 512, "maxMdmNameLength": 100, "maxMdmMetadataLength": 255,
        "maxMdmIdLength": 100, "maxRequestPerSecond": 15, "maxSubscriptions": 25,
        "maxSubscriptionClientUserIds": 1000
      },
      "notificationTypes": ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED", "TEST_NOTIFICATION"],
      "urls": {
        "invitationEmail": "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8",
        "clientConfig": "https://vpp.itunes.apple.com/mdm/v2/client/config",
        "createUsers": "https://vpp.itunes.apple.com/mdm/v2/users/create",
        "getAssignments": "https://vpp.itunes.apple.com/mdm/v2/assignments",
        "revokeAssets": "https://vpp.itunes.apple.com/mdm/v2/assets/revoke",
        "getUsers": "https://vpp.itunes.apple.com/mdm/v2/users",
        "eventStatus": "https://vpp.itunes.apple.com/mdm/v2/status",
        "associateAssets": "https://vpp.itunes.apple.com/mdm/v2/assets/associate",
        "disassociateAssets": "https://vpp.itunes.apple.com/mdm/v2/assets/disassociate",
        "updateUsers": "https://vpp.itunes.apple.com/mdm/v2/users/update",
        "getAssets": "https://vpp.itunes.apple.com/mdm/v2/assets",
        "retireUsers": "https://vpp.itunes.apple.com/mdm/v2/users/retire",
        "contentMetadataLookup": "https://uclient-api.itunes.apple.com/WebObjects/MZStorePlatform.woa/wa/lookup"
      }
    }
    """;

    public const string ClientConfig = """
    {"countryISO2ACode":"US","defaultPlatform":"volumestore","locationName":"PS01",
     "mdmInfo":{"id":"6d8c9e3a-1b2c-4d5e-8f90-123456789abc","metadata":"mdm.example.org","name":"VppPS"},
     "notificationAuthToken":"notification-secret","notificationUrl":"https://mdm.example.org/notify",
     "subscribedNotificationTypes":["ASSET_MANAGEMENT","ASSET_COUNT"],
     "tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439","websiteURL":"https://school.apple.com"}
    """;

    public const string Asset = """
    {"adamId":"408709785","assignedCount":5000,"availableCount":10000,"deviceAssignable":true,"pricingParam":"STDQ","productType":"App","retiredCount":0,"revocable":true,"supportedPlatforms":["iOS"],"totalCount":15000}
    """;

    public const string User = """
    {"clientUserId":"client-101","email":"client-101@apple.com","inviteCode":"46bc93ea3acd41e0a4919c02db0d7d3a","status":"Registered"}
    """;

    public const string Event = """
    {"eventId":"ed3edfc3-e617-465e-b309-a17925266e14","tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439"}
    """;

    public const string FailedStatus = """
    {"eventStatus":"FAILED","eventType":"ASSOCIATE","failures":[{"errorInfo":{"clientUserIds":["client-4"]},"errorNumber":9609,"errorMessage":"Registered user not found"}],"numCompleted":14,"numRequested":16,"tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439"}
    """;

    public static string Status(string status) =>
        $$"""{"eventStatus":"{{status}}","eventType":"ASSOCIATE","numCompleted":{{(status == "PENDING" ? 0 : 16)}},"numRequested":16,"tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439"}""";

    /// <summary>One page of assignments; versionId "v1" unless said.</summary>
    public static string AssignmentsPage(int page, int totalPages, string versionId = "v1", int size = 3)
    {
        var items = string.Join(",", Enumerable.Range(0, size).Select(i =>
            $$"""{"adamId":"{{1000 + page}}","clientUserId":"user-{{page}}-{{i}}","pricingParam":"STDQ"}"""));
        var next = page + 1 < totalPages ? $"\"nextPageIndex\":{page + 1}," : "";
        return $$"""{"assignments":[{{items}}],"currentPageIndex":{{page}},{{next}}"size":{{size}},"totalPages":{{totalPages}},"versionId":"{{versionId}}","tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439"}""";
    }
}
