using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

public class BatcherTests
{
    private static readonly AppleLimits Limits = new()
    {
        MaxAssets = 2, MaxClientUserIds = 3, MaxSerialNumbers = 4, MaxRevokeClientUserIds = 2, MaxRevokeSerialNumbers = 3, MaxUsers = 2,
    };

    private static RequestAsset Asset(string id, string? pricing = null) => new() { AdamId = id, PricingParam = pricing };

    [Fact]
    public void Manage_assets_requests_cover_every_pair_within_the_limits()
    {
        var assets = new[] { Asset("1"), Asset("2"), Asset("3"), Asset("1", "STDQ") }; // the last is a duplicate of the first
        var users = Enumerable.Range(0, 7).Select(i => $"u{i}").Append("u0").ToList();
        var serials = Enumerable.Range(0, 5).Select(i => $"s{i}").ToList();

        var requests = AppleRequestBatcher.PackManageAssets(assets, users, serials, Limits);

        Assert.All(requests, r =>
        {
            Assert.InRange(r.Assets.Count, 1, 2);
            Assert.True((r.ClientUserIds is null) != (r.SerialNumbers is null));
            Assert.InRange(r.ClientUserIds?.Count ?? 0, 0, 3);
            Assert.InRange(r.SerialNumbers?.Count ?? 0, 0, 4);
        });
        var pairs = requests.SelectMany(r => r.Assets.SelectMany(a => (r.ClientUserIds ?? r.SerialNumbers!).Select(t => (a.AdamId, t)))).ToList();
        Assert.Equal(3 * (7 + 5), pairs.Count);
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
        Assert.Equal(2 * 3 + 2 * 2, requests.Count); // asset chunks x (user chunks + serial chunks)
    }

    [Fact]
    public void Plus_and_stdq_of_one_app_are_distinct_assets()
    {
        var requests = AppleRequestBatcher.PackManageAssets([Asset("1", "STDQ"), Asset("1", "PLUS")], ["u"], null, Limits);
        Assert.Equal(2, Assert.Single(requests).Assets.Count);
    }

    [Fact]
    public void Revoke_requests_respect_the_revoke_limits()
    {
        var requests = AppleRequestBatcher.PackRevoke(["a", "b", "c", "c"], ["1", "2", "3", "4"], Limits);

        Assert.Equal([["a", "b"], ["c"]], requests.Where(r => r.ClientUserIds is not null).Select(r => r.ClientUserIds!.ToArray()));
        Assert.Equal([["1", "2", "3"], ["4"]], requests.Where(r => r.SerialNumbers is not null).Select(r => r.SerialNumbers!.ToArray()));
    }

    [Fact]
    public void User_requests_respect_max_users_and_drop_duplicates()
    {
        var requests = AppleRequestBatcher.PackUsers(
            [new() { ClientUserId = "a" }, new() { ClientUserId = "b" }, new() { ClientUserId = "a", Email = "a@x" }, new() { ClientUserId = "c" }], Limits);

        Assert.Equal(2, requests.Count);
        Assert.Equal("a@x", requests[0].Users.Single(u => u.ClientUserId == "a").Email);
    }

    [Fact]
    public void Nothing_to_do_gives_no_request()
    {
        Assert.Empty(AppleRequestBatcher.PackManageAssets([Asset("1")], [], null, Limits));
        Assert.Empty(AppleRequestBatcher.PackRevoke(null, null, Limits));
    }
}
