using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

public class PagingTests
{
    private static HttpResponseMessage Page(RecordedRequest request, int totalPages, Func<int, string>? version = null)
    {
        var index = int.Parse(request.QueryValue("pageIndex") ?? "0");
        return ScriptedHandler.Json(200, AppleSamples.AssignmentsPage(index, totalPages, version?.Invoke(index) ?? "v1"));
    }

    [Fact]
    public async Task All_pages_come_in_order_read_at_most_five_at_once()
    {
        var apple = new TestApple();
        apple.Handler.OnAsync("assignments", async (request, _) =>
        {
            // Answer later pages first, so that order has to be restored.
            var index = int.Parse(request.QueryValue("pageIndex")!);
            for (var i = 0; i < (40 - index) % 7; i++)
                await Task.Yield();
            return Page(request, 40);
        });
        var client = apple.Client();

        var pages = new List<int>();
        await foreach (var page in client.ReadAssignmentPagesAsync(null))
            pages.Add(page.CurrentPageIndex);

        Assert.Equal(Enumerable.Range(0, 40), pages);
        Assert.InRange(apple.Handler.MaxInFlight, 2, 5);
        Assert.Equal(40, apple.Handler.Count("assignments"));
        var progress = apple.Observer.ProgressRecords.Where(p => !p.Completed).ToList();
        Assert.Equal("page 12 of 40", progress[11].Status);
        Assert.Equal("Reading assignments", progress[11].Activity);
        Assert.Contains(apple.Observer.ProgressRecords, p => p.Completed);
    }

    [Fact]
    public async Task A_single_page_is_read_once()
    {
        var apple = new TestApple();
        apple.Handler.On("assignments", r => Page(r, 1));

        var result = await ApplePaging.ReadAllAsync(ct => apple.Client().ReadAssignmentPagesAsync(null, ct), (_, _) => default);

        Assert.Equal(new PagedReadResult("v1", 1, 0), result);
    }

    [Fact]
    public async Task A_version_change_mid_read_is_signalled()
    {
        var apple = new TestApple();
        apple.Handler.On("assignments", r => Page(r, 10, i => i < 6 ? "v1" : "v2"));

        var error = await Assert.ThrowsAsync<AppleVersionChangedException>(async () =>
        {
            await foreach (var _ in apple.Client().ReadAssignmentPagesAsync(null)) { }
        });

        Assert.Equal(("v1", "v2", 6), (error.FirstVersionId, error.PageVersionId, error.PageIndex));
        Assert.Equal((VppErrorKind.Conflict, "VppAppleDataChanged"), (error.Kind, error.ErrorId));
    }

    [Fact]
    public async Task Read_all_restarts_after_a_version_change_and_returns_the_new_version()
    {
        var apple = new TestApple();
        var traversal = 0;
        apple.Handler.On("assignments", r =>
        {
            var index = int.Parse(r.QueryValue("pageIndex")!);
            if (index == 0)
                Interlocked.Increment(ref traversal);
            // The first traversal sees a write after page 2.
            return Page(r, 5, i => Volatile.Read(ref traversal) == 1 && i > 2 ? "v2" : Volatile.Read(ref traversal) == 1 ? "v1" : "v2");
        });
        var client = apple.Client();
        var received = new List<int>();
        var restarts = 0;

        var result = await ApplePaging.ReadAllAsync(
            ct => client.ReadAssignmentPagesAsync(null, ct),
            (page, _) => { received.Add(page.CurrentPageIndex); return default; },
            _ => { restarts++; received.Clear(); return default; });

        Assert.Equal(new PagedReadResult("v2", 5, 1), result);
        Assert.Equal(1, restarts);
        Assert.Equal([0, 1, 2, 3, 4], received);
    }

    [Fact]
    public async Task Read_all_gives_up_after_the_allowed_restarts()
    {
        var apple = new TestApple();
        var counter = 0;
        apple.Handler.On("assignments", r => Page(r, 3, _ => "v" + Interlocked.Increment(ref counter)));

        await Assert.ThrowsAsync<AppleVersionChangedException>(() => ApplePaging.ReadAllAsync(
            ct => apple.Client().ReadAssignmentPagesAsync(null, ct), (_, _) => default, maxRestarts: 2));

        Assert.Equal(3 * 3, apple.Handler.Count("assignments"));
    }

    [Fact]
    public async Task Incremental_reads_send_since_version_id_and_filters()
    {
        var apple = new TestApple();
        apple.Handler.On("assignments", r => Page(r, 2, _ => "v9"));
        apple.Handler.On("users", _ => ScriptedHandler.Json(200,
            $$"""{"users":[{{AppleSamples.User}}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"u7"}"""));
        var client = apple.Client();

        var assignments = await ApplePaging.ReadAllAsync(
            ct => client.ReadAssignmentPagesAsync(new AssignmentQuery { SinceVersionId = "v8", IncludeUserState = true }, ct), (_, _) => default);
        var users = await ApplePaging.ReadAllAsync(
            ct => client.ReadUserPagesAsync(new UserQuery { SinceVersionId = "u6", ActiveOnly = true }, ct), (_, _) => default);

        Assert.Equal("v9", assignments.VersionId);
        Assert.Equal("u7", users.VersionId);
        Assert.All(apple.Handler.Requests.Where(r => r.Path == "assignments"), r =>
        {
            Assert.Equal("v8", r.QueryValue("sinceVersionId"));
            Assert.Equal("true", r.QueryValue("includeUserState"));
        });
        var userRequest = apple.Handler.Requests.Single(r => r.Path == "users");
        Assert.Equal(("u6", "true", "0"), (userRequest.QueryValue("sinceVersionId"), userRequest.QueryValue("activeOnly"), userRequest.QueryValue("pageIndex")));
    }

    [Fact]
    public async Task Asset_filters_and_unlimited_assets_are_read()
    {
        var apple = new TestApple();
        apple.Handler.On("assets", _ => ScriptedHandler.Json(200,
            $$"""{"assets":[{{AppleSamples.Asset}}],"unlimitedAssets":[{"adamId":"9","assignedCount":3,"deviceAssignable":true,"pricingParam":"STDQ","productType":"App","revocable":true}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"a1"}"""));

        var pages = new List<GetAssetsResponse>();
        await foreach (var page in apple.Client().ReadAssetPagesAsync(new AssetQuery { ProductType = "Book", DeviceAssignable = false, MinAvailableCount = 1, Unlimited = true }))
            pages.Add(page);

        Assert.Equal("9", Assert.Single(Assert.Single(pages).UnlimitedAssets!).AdamId);
        Assert.Equal("?productType=Book&deviceAssignable=false&minAvailableCount=1&unlimited=true&pageIndex=0",
            apple.Handler.Requests.Single(r => r.Path == "assets").Query);
    }

    [Fact]
    public async Task A_bad_page_surfaces_as_an_apple_error()
    {
        var apple = new TestApple();
        apple.Handler.On("assignments", r => r.QueryValue("pageIndex") == "3" ? ScriptedHandler.Error(400, 9650, "Invalid page index") : Page(r, 6));

        var error = await Assert.ThrowsAsync<VppException>(async () =>
        {
            await foreach (var _ in apple.Client().ReadAssignmentPagesAsync(null)) { }
        });

        Assert.Equal(("VppAppleError9650", 9650), (error.ErrorId, error.AppleErrorNumber));
    }
}
