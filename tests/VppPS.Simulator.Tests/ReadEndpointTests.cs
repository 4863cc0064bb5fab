using System.Net;
using System.Text.Json;

namespace VppPS.Simulator.Tests;

public class ReadEndpointTests
{
    [Fact]
    public async Task ServiceConfig_needs_no_token_and_points_at_the_simulator()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.Limits!["maxAssets"] = 7));
        var r = await sim.Get("service/config", token: null);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(new[] { "errorCodes", "limits", "notificationTypes", "urls" }, r.Keys);
        Assert.Contains(r["errorCodes"].EnumerateArray(), e => e.GetProperty("errorNumber").GetInt32() == 9646);
        Assert.Equal(7, r["limits"].GetProperty("maxAssets").GetInt32());
        Assert.Equal(10000, r["limits"].GetProperty("maxRequestPerSecond").GetInt32());
        foreach (var k in new[] { "maxClientUserIds", "maxSerialNumbers", "maxRevokeClientUserIds", "maxRevokeSerialNumbers", "maxUsers", "maxNotificationLength", "maxMdmNameLength", "maxMdmMetadataLength", "maxMdmIdLength", "maxSubscriptions", "maxSubscriptionClientUserIds" })
            Assert.True(r["limits"].TryGetProperty(k, out _), k);
        var urls = r["urls"];
        Assert.Equal(sim.Host.AppleBaseUrl + "/status", urls.GetProperty("eventStatus").GetString());
        Assert.Equal(sim.Host.AppleBaseUrl + "/assets", urls.GetProperty("getAssets").GetString());
        Assert.Equal(sim.Host.LegacyLookupUrl, urls.GetProperty("contentMetadataLookup").GetString());
        Assert.Contains("inviteCode=%25inviteCode%25", urls.GetProperty("invitationEmail").GetString());
        foreach (var k in new[] { "clientConfig", "createUsers", "getAssignments", "revokeAssets", "getUsers", "associateAssets", "disassociateAssets", "updateUsers", "retireUsers" })
            Assert.StartsWith(sim.Host.AppleBaseUrl, urls.GetProperty(k).GetString());
        // an Authorization header is accepted but not required
        Assert.Equal(HttpStatusCode.OK, (await sim.Get("service/config")).Status);
    }

    [Fact]
    public async Task ClientConfig_get_has_Apples_fields()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("client/config");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("US", r["countryISO2ACode"].GetString());
        Assert.Equal("volumestore", r["defaultPlatform"].GetString());
        Assert.Equal("Test School", r["locationName"].GetString());
        Assert.Equal("2049025000431439", r["uId"].GetString());
        Assert.Equal("https://school.apple.com", r["websiteURL"].GetString());
        Assert.Equal("2027-09-21T09:00:00+0000", r["tokenExpirationDate"].GetString());
        Assert.False(r.Json.TryGetProperty("mdmInfo", out _));
        Assert.StartsWith("application/json", r.Response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Assets_have_Apples_fields_and_counts_add_up()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("assets");
        Assert.Equal(new[] { "assets", "currentPageIndex", "size", "tokenExpirationDate", "totalPages", "uId", "versionId" }, r.Keys);
        Assert.Equal(8, r["size"].GetInt32());
        var keynote = r["assets"].EnumerateArray().First(a => a.GetProperty("adamId").GetString() == Scenarios.Keynote);
        Assert.Equal(JsonValueKind.String, keynote.GetProperty("adamId").ValueKind);
        Assert.Equal(new[] { "adamId", "assignedCount", "availableCount", "deviceAssignable", "pricingParam", "productType", "retiredCount", "revocable", "supportedPlatforms", "totalCount" },
            keynote.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray());
        Assert.Equal(2, keynote.GetProperty("assignedCount").GetInt32());
        Assert.Equal(8, keynote.GetProperty("availableCount").GetInt32());
        Assert.Equal(new[] { "iOS", "macOS" }, keynote.GetProperty("supportedPlatforms").EnumerateArray().Select(x => x.GetString()));
        foreach (var a in r["assets"].EnumerateArray())
            Assert.Equal(a.GetProperty("totalCount").GetInt64(), a.GetProperty("assignedCount").GetInt64() + a.GetProperty("availableCount").GetInt64() + a.GetProperty("retiredCount").GetInt64());
        var book = r["assets"].EnumerateArray().First(a => a.GetProperty("adamId").GetString() == Scenarios.Book);
        Assert.Equal("Book", book.GetProperty("productType").GetString());
        Assert.False(book.GetProperty("deviceAssignable").GetBoolean());
        Assert.False(book.GetProperty("revocable").GetBoolean());
        var free = r["assets"].EnumerateArray().First(a => a.GetProperty("adamId").GetString() == Scenarios.Free);
        Assert.Equal(2147483647, free.GetProperty("totalCount").GetInt64());
    }

    [Theory]
    [InlineData("productType=Book", 1)]
    [InlineData("productType=App", 7)]
    [InlineData("pricingParam=PLUS", 1)]
    [InlineData("revocable=false", 1)]
    [InlineData("deviceAssignable=false", 2)]
    [InlineData("adamId=361304891", 2)]
    [InlineData("minAssignedCount=1", 3)]
    [InlineData("maxAssignedCount=0", 5)]
    [InlineData("minAvailableCount=49", 2)]
    [InlineData("maxAvailableCount=2", 2)]
    [InlineData("unlimited=false", 7)]
    [InlineData("productType=App&deviceAssignable=true&pricingParam=STDQ", 5)]
    public async Task Asset_filters(string query, int expected)
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("assets?" + query);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(expected, r["assets"].GetArrayLength());
        Assert.Equal(expected, r["size"].GetInt32());
    }

    [Fact]
    public async Task Unlimited_assets_come_separately_without_counts_they_do_not_have()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("assets?unlimited=true");
        Assert.Equal(0, r["assets"].GetArrayLength());
        var u = Assert.Single(r["unlimitedAssets"].EnumerateArray());
        Assert.Equal(Scenarios.Free, u.GetProperty("adamId").GetString());
        foreach (var absent in new[] { "availableCount", "totalCount", "retiredCount" }) Assert.False(u.TryGetProperty(absent, out _), absent);
        Assert.True(u.TryGetProperty("assignedCount", out _));
        Assert.False((await sim.Get("assets")).Json.TryGetProperty("unlimitedAssets", out _));
    }

    [Theory]
    [InlineData("assets?productType=Movie")]
    [InlineData("assets?pricingParam=FREE")]
    [InlineData("assets?revocable=maybe")]
    [InlineData("assets?minAssignedCount=x")]
    [InlineData("users?activeOnly=true&retiredOnly=true")]
    public async Task Bad_query_parameters_answer_9602(string path)
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get(path);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(9602, r.ErrorNumber);
    }

    [Fact]
    public async Task Paging_is_zero_based_with_nextPageIndex_until_the_last_page()
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.PageSize = 3));
        var first = await sim.Get("assets");
        Assert.Equal(0, first["currentPageIndex"].GetInt32());
        Assert.Equal(1, first["nextPageIndex"].GetInt32());
        Assert.Equal(3, first["totalPages"].GetInt32());
        Assert.Equal(3, first["size"].GetInt32());
        var middle = await sim.Get("assets?pageIndex=1");
        Assert.Equal(1, middle["currentPageIndex"].GetInt32());
        Assert.Equal(2, middle["nextPageIndex"].GetInt32());
        var last = await sim.Get("assets?pageIndex=2");
        Assert.Equal(2, last["currentPageIndex"].GetInt32());
        Assert.False(last.Json.TryGetProperty("nextPageIndex", out _));
        Assert.Equal(2, last["size"].GetInt32());
        var all = new[] { first, middle, last }.SelectMany(p => p["assets"].EnumerateArray().Select(a => a.GetProperty("adamId").GetString() + a.GetProperty("pricingParam").GetString())).ToList();
        Assert.Equal(8, all.Distinct().Count());
        foreach (var bad in new[] { "3", "99", "-1", "abc" })
        {
            var r = await sim.Get("assets?pageIndex=" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal(9650, r.ErrorNumber);
        }
        var users = await sim.Get("users?pageIndex=1");
        Assert.Equal(1, users["size"].GetInt32());
        Assert.Equal(9650, (await sim.Get("assignments?pageIndex=2")).ErrorNumber);
    }

    [Fact]
    public async Task Empty_result_is_one_empty_page()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("assignments?clientUserId=nobody");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(0, r["size"].GetInt32());
        Assert.Equal(1, r["totalPages"].GetInt32());
        Assert.Equal(0, r["assignments"].GetArrayLength());
    }

    [Fact]
    public async Task Assignments_have_Apples_shapes_and_filters()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("assignments");
        Assert.Equal(new[] { "assignments", "currentPageIndex", "size", "tokenExpirationDate", "totalPages", "uId", "versionId" }, r.Keys);
        var rows = r["assignments"].EnumerateArray().ToList();
        Assert.Equal(4, rows.Count);
        var user = rows.First(x => x.TryGetProperty("clientUserId", out _));
        Assert.Equal(new[] { "adamId", "clientUserId", "pricingParam" }, user.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        var device = rows.Single(x => x.TryGetProperty("serialNumber", out _));
        Assert.Equal(new[] { "adamId", "pricingParam", "serialNumber" }, device.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(2, (await sim.Get("assignments?adamId=" + Scenarios.Keynote))["size"].GetInt32());
        Assert.Equal(2, (await sim.Get("assignments?clientUserId=client-1"))["size"].GetInt32());
        Assert.Equal(1, (await sim.Get("assignments?serialNumber=C02000000001"))["size"].GetInt32());
        Assert.Equal(0, (await sim.Get("assignments?pricingParam=PLUS"))["size"].GetInt32());
        var withState = await sim.Get("assignments?includeUserState=true&clientUserId=client-1");
        foreach (var a in withState["assignments"].EnumerateArray())
        {
            Assert.Equal("Associated", a.GetProperty("userStatus").GetString());
            Assert.False(string.IsNullOrEmpty(a.GetProperty("idHash").GetString()));
        }
        var devState = await sim.Get("assignments?includeUserState=true&serialNumber=C02000000001");
        Assert.False(devState["assignments"][0].TryGetProperty("userStatus", out _));
    }

    [Fact]
    public async Task ExcludeInactiveUsers_hides_assignments_of_retired_users()
    {
        await using var sim = await Sim.StartAsync();
        var retire = await sim.Post("users/retire", new { users = new[] { new { clientUserId = "client-1" } } });
        Assert.Equal("COMPLETE", (await sim.Status(retire))["eventStatus"].GetString());
        // the book license stays with the retired user (irrevocable); Keynote was released
        var all = await sim.Get("assignments?clientUserId=client-1&includeUserState=true");
        var row = Assert.Single(all["assignments"].EnumerateArray());
        Assert.Equal(Scenarios.Book, row.GetProperty("adamId").GetString());
        Assert.Equal("Retired", row.GetProperty("userStatus").GetString());
        Assert.Equal(0, (await sim.Get("assignments?clientUserId=client-1&excludeInactiveUsers=true"))["size"].GetInt32());
    }

    [Fact]
    public async Task Users_have_Apples_shapes_and_filters()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("users");
        Assert.Equal(new[] { "currentPageIndex", "size", "tokenExpirationDate", "totalPages", "uId", "users", "versionId" }, r.Keys);
        var users = r["users"].EnumerateArray().ToList();
        Assert.Equal(4, users.Count);
        var registered = users.Single(u => u.GetProperty("clientUserId").GetString() == "client-3");
        Assert.Equal(new[] { "clientUserId", "email", "inviteCode", "status" }, registered.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal("Registered", registered.GetProperty("status").GetString());
        var associated = users.Single(u => u.GetProperty("clientUserId").GetString() == "client-1");
        Assert.Equal(new[] { "clientUserId", "email", "idHash", "status" }, associated.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.False(associated.TryGetProperty("userId", out _));
        Assert.Equal(3, (await sim.Get("users?activeOnly=true"))["size"].GetInt32());
        Assert.Equal(1, (await sim.Get("users?retiredOnly=true"))["size"].GetInt32());
        Assert.Equal(1, (await sim.Get("users?clientUserId=client-2"))["size"].GetInt32());
    }

    [Fact]
    public async Task SinceVersionId_returns_changes_after_that_version_and_9721_for_unknown()
    {
        await using var sim = await Sim.StartAsync();
        var v0 = (await sim.Get("assignments"))["versionId"].GetString()!;
        var u0 = (await sim.Get("users"))["versionId"].GetString()!;
        Assert.Equal(v0, u0);
        Assert.Equal(0, (await sim.Get("assignments?sinceVersionId=" + v0))["size"].GetInt32());
        var ev = await sim.Post("assets/associate", new { assets = new[] { new { adamId = Scenarios.Pages } }, clientUserIds = new[] { "client-1" } });
        Assert.Equal("COMPLETE", (await sim.Status(ev))["eventStatus"].GetString());
        var after = await sim.Get("assignments?sinceVersionId=" + v0);
        var row = Assert.Single(after["assignments"].EnumerateArray());
        Assert.Equal(Scenarios.Pages, row.GetProperty("adamId").GetString());
        var v1 = after["versionId"].GetString()!;
        Assert.NotEqual(v0, v1);
        Assert.Equal(0, (await sim.Get("assignments?sinceVersionId=" + v1))["size"].GetInt32());

        var create = await sim.Post("users/create", new { users = new[] { new { clientUserId = "client-9", email = "c9@example.org" } } });
        Assert.Equal("COMPLETE", (await sim.Status(create))["eventStatus"].GetString());
        var changedUsers = await sim.Get("users?sinceVersionId=" + v1);
        Assert.Equal("client-9", Assert.Single(changedUsers["users"].EnumerateArray()).GetProperty("clientUserId").GetString());

        foreach (var path in new[] { "assignments", "users" })
        {
            var bad = await sim.Get(path + "?sinceVersionId=not-a-version");
            Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
            Assert.Equal(9721, bad.ErrorNumber);
        }
    }

    [Fact]
    public async Task Status_of_unknown_event_is_9708()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Get("status?eventId=00000000-0000-4000-8000-000000000000");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(9708, r.ErrorNumber);
    }

    [Theory]
    [InlineData("POST", "assets")]
    [InlineData("DELETE", "client/config")]
    [InlineData("GET", "assets/associate")]
    [InlineData("PUT", "users/create")]
    [InlineData("POST", "service/config")]
    public async Task Wrong_method_is_405_9726(string method, string path)
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Send(new HttpMethod(method), path, method is "POST" or "PUT" ? "{}" : null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.Status);
        Assert.Equal(9726, r.ErrorNumber);
        Assert.Equal(new[] { "errorMessage", "errorNumber" }, r.Keys);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Wrong_content_type_is_415_9727(string contentType)
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("users/create", "{\"users\":[{\"clientUserId\":\"x\"}]}", contentType: contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Status);
        Assert.Equal(9727, r.ErrorNumber);
        Assert.Equal(HttpStatusCode.OK, (await sim.Post("users/create", "{\"users\":[{\"clientUserId\":\"x\"}]}", contentType: "application/json; charset=utf-8")).Status);
    }

    [Fact]
    public async Task Malformed_json_is_9602()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("assets/associate", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(9602, r.ErrorNumber);
    }
}
