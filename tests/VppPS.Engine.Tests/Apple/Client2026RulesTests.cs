using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

/// <summary>The client's 2026 rules (spec 2.1, 2.3, 2.9, paging): open limits, unlimited assets, in-flight cap, status-poll spacing, 9632/9643.</summary>
public sealed class Client2026RulesTests
{
    [Fact]
    public async Task Limits_are_an_open_map_new_keys_and_odd_values_do_not_fail_the_answer()
    {
        var apple = new TestApple();
        apple.Handler.On("service/config", _ => ScriptedHandler.Json(200, """
            {"limits":{"maxAssets":10,"maxSubscriptions":7,"maxSubscriptionClientUserIds":300,"maxBrandNewThing":42,"maxHuge":9999999999,"maxText":"12","odd":{"a":1},"flag":true,"ratio":1.5},
             "urls":{"getAssets":"https://apple.test/mdm/v2/assets"}}
            """));
        var limits = await apple.Client().GetLimitsAsync();

        Assert.Equal(10, limits.MaxAssets);
        Assert.Equal(7, limits.MaxSubscriptions);
        Assert.Equal(300, limits.MaxSubscriptionClientUserIds);
        Assert.Equal(1000, limits.MaxClientUserIds); // missing: Apple's example value
        Assert.Equal(42, limits.All["maxBrandNewThing"]);
        Assert.Equal(int.MaxValue, limits.All["maxHuge"]);
        Assert.Equal(12, limits.All["maxText"]);
        Assert.False(limits.All.ContainsKey("odd"));
    }

    [Fact]
    public async Task Free_assets_are_read_with_unlimited_true_and_merged_with_the_counted_ones()
    {
        var apple = new TestApple();
        apple.Handler.On("assets", r => r.QueryValue("unlimited") == "true"
            ? ScriptedHandler.Json(200, """{"assets":[],"unlimitedAssets":[{"adamId":"924620788","assignedCount":212,"deviceAssignable":true,"pricingParam":"STDQ","productType":"App","revocable":true,"supportedPlatforms":["iOS"]}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"v"}""")
            : ScriptedHandler.Json(200, $$"""{"assets":[{{AppleSamples.Asset}}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"v"}"""));

        var assets = await apple.Client().ReadAllAssetsAsync();

        Assert.Equal(["false", "true"], apple.Handler.Requests.Where(r => r.Path == "assets").Select(r => r.QueryValue("unlimited")!).Order());
        var free = Assert.Single(assets, a => a.IsUnlimited);
        Assert.Equal(("924620788", 212, ResponseAsset.UnlimitedCount), (free.AdamId, free.AssignedCount, free.TotalCount));
        Assert.Single(assets, a => a.AdamId == "408709785" && a.TotalCount == 15000 && !a.IsUnlimited);
    }

    [Fact]
    public async Task A_service_that_ignores_unlimited_still_gives_each_asset_once_free_ones_recognised_by_their_total()
    {
        var apple = new TestApple();
        apple.Handler.On("assets", _ => ScriptedHandler.Json(200, $$"""
            {"assets":[{{AppleSamples.Asset}},{"adamId":"9","assignedCount":3,"availableCount":2147483644,"totalCount":2147483647,"retiredCount":0,"pricingParam":"STDQ","productType":"App"}],"currentPageIndex":0,"size":2,"totalPages":1,"versionId":"v"}
            """));
        var assets = await apple.Client().ReadAllAssetsAsync();
        Assert.Equal(2, assets.Count);
        Assert.True(assets.Single(a => a.AdamId == "9").IsUnlimited);
    }

    [Fact]
    public async Task At_most_five_requests_of_one_token_are_in_flight_whichever_clients_send_them()
    {
        var apple = new TestApple();
        var release = new TaskCompletionSource();
        var arrived = 0;
        apple.Handler.OnAsync("users", async (_, ct) =>
        {
            if (Interlocked.Increment(ref arrived) >= 5) release.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            await Task.Delay(5, ct);
            return ScriptedHandler.Json(200, """{"users":[],"currentPageIndex":0,"size":0,"totalPages":1,"versionId":"v"}""");
        });
        var limiter = new AppleRequestRateLimiter(1000, TimeSpan.FromSeconds(1), apple.Time);
        var first = apple.Client(rateLimiter: limiter);
        var second = apple.Client(rateLimiter: limiter);
        await first.GetServiceConfigAsync();

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? first : second).GetUsersAsync(null, 0)));

        Assert.Equal(12, apple.Handler.Count("users"));
        Assert.Equal(AppleRequestRateLimiter.MaxRequestsInFlight, apple.Handler.MaxInFlight);
    }

    [Fact]
    public async Task Status_polls_of_Apple_are_at_least_30_seconds_apart_whatever_the_setting()
    {
        var apple = new TestApple();
        apple.Handler.On("status", _ => ScriptedHandler.Json(200, AppleSamples.Status("PENDING")), _ => ScriptedHandler.Json(200, AppleSamples.Status("PENDING")),
            _ => ScriptedHandler.Json(200, AppleSamples.Status("COMPLETE")));
        var options = apple.Options(new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan, EventPollInterval = TimeSpan.Zero }) with { BaseUrl = AppleClientOptions.AppleBaseUrl };
        var client = new AppleClient(AppleSamples.SToken, new HttpClient(apple.Handler), options, apple.Clock, apple.Observer);

        var status = await client.WaitForEventAsync("e1");

        Assert.False(status.IsPending);
        Assert.Equal(TimeSpan.FromSeconds(30), options.EffectiveEventPollInterval);
        Assert.Equal(3, apple.Handler.Count("status"));
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)], apple.Time.Delays.ToList());
    }

    [Fact]
    public void Only_a_service_other_than_Apple_may_be_polled_faster()
    {
        Assert.Equal(TimeSpan.Zero, new AppleClientOptions { BaseUrl = new Uri("http://127.0.0.1:5000/mdm/v2"), EventPollInterval = TimeSpan.Zero }.EffectiveEventPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), new AppleClientOptions { EventPollInterval = TimeSpan.FromSeconds(2) }.EffectiveEventPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(45), new AppleClientOptions { EventPollInterval = TimeSpan.FromSeconds(45) }.EffectiveEventPollInterval);
    }

    [Theory]
    [InlineData(9632, "VppAppleRepeatedTooOften", "sent too often")]
    [InlineData(9643, "VppAppleLockedByTransfer", "organizational units (locations)")]
    public async Task Errors_9632_and_9643_are_said_clearly_and_not_retried(int number, string id, string said)
    {
        var apple = new TestApple();
        apple.Handler.On("assets/associate", _ => ScriptedHandler.Error(400, number));
        var e = await Assert.ThrowsAnyAsync<VppException>(() => apple.Client().AssociateAssetsAsync(
            new ManageAssetsRequest { Assets = [new RequestAsset { AdamId = "1" }], ClientUserIds = ["u"] }));
        Assert.Equal(id, e.ErrorId);
        Assert.Contains(said, e.Message);
        Assert.Equal(1, apple.Handler.Count("assets/associate"));
    }

    [Fact]
    public async Task Cursor_pages_are_read_one_after_the_other_passing_each_nextCursor_back_as_it_came()
    {
        var apple = new TestApple();
        apple.Handler.On("subscriptions/assignments", r => r.QueryValue("cursor") switch
        {
            null => ScriptedHandler.Json(200, """{"assignments":[{"adamId":12345,"clientUserId":"user-1","renewing":true}],"nextCursor":"a+b/c==","versionId":"v1"}"""),
            "a+b/c==" => ScriptedHandler.Json(200, """{"assignments":[{"adamId":"12345","clientUserId":"user-2","renewing":false}],"versionId":"v1"}"""),
            _ => ScriptedHandler.Error(400, 9812),
        });
        apple.Handler.On("subscriptions", _ => ScriptedHandler.Json(200, """
            {"subscriptions":[{"parentAdamId":null,"adamId":12345,"counts":{"assigned":{"renewing":0,"expiring":0},"available":{"renewing":0,"expiring":0},"total":{"renewing":0,"expiring":0}}}],"versionId":"s1"}
            """));

        var seats = await apple.Client().ReadAllSubscriptionAssignmentsAsync(new SubscriptionQuery { AdamIds = ["12345", "678"] });
        var subscriptions = await apple.Client().ReadAllSubscriptionsAsync(null);

        Assert.Equal([("12345", "user-1", true), ("12345", "user-2", false)], seats.Items.Select(s => (s.AdamId!, s.ClientUserId!, s.Renewing)));
        Assert.Equal(("v1", 2, false), (seats.VersionId, seats.Pages, seats.Unchanged));
        Assert.Equal(1, apple.Handler.MaxInFlight);
        Assert.Equal("?adamId=12345&adamId=678", apple.Handler.Requests.First(r => r.Path == "subscriptions/assignments").Query);
        var subscription = Assert.Single(subscriptions.Items);
        Assert.Equal(("12345", null, null), (subscription.AdamId, subscription.ParentAdamId, subscription.Status));

        var unchanged = await apple.Client().ReadAllSubscriptionAssignmentsAsync(null, unlessVersionId: "v1");
        Assert.True(unchanged.Unchanged);
        Assert.Equal(3, apple.Handler.Count("subscriptions/assignments"));
    }

    [Fact]
    public async Task The_declaration_is_posted_without_a_body()
    {
        var apple = new TestApple();
        apple.Handler.On("subscriptions/enable", _ => ScriptedHandler.Json(200, """{"mdmInfo":null,"subscriptionManagement":true,"tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439"}"""));
        var answer = await apple.Client().SetSubscriptionManagementAsync(enabled: true);
        Assert.True(answer.SubscriptionManagement);
        var request = Assert.Single(apple.Handler.Requests, r => r.Path == "subscriptions/enable");
        Assert.Equal(("POST", null), (request.Method, request.Body));
    }
}
