using System.Net;
using System.Text.Json;

namespace VppPS.Simulator.Tests;

public class WriteEndpointTests
{
    private static object Assets(params string[] ids) => ids.Select(i => new { adamId = i, pricingParam = "STDQ" }).ToArray();

    [Fact]
    public async Task Apples_managing_assets_example_fails_for_the_unknown_user_and_applies_the_rest()
    {
        // managing-assets: 2 assets x (4 users + 4 serials) = 16 requested; client-4 is unknown -> 14 completed, FAILED, 9609
        await using var sim = await Sim.StartAsync(Scenarios.Small(s =>
        {
            var l = s.Locations[0];
            l.Assets.Add(new ScenarioAsset { AdamId = "361304892", Name = "Extra", TotalCount = 100 });
            l.Assets.First(a => a.AdamId == Scenarios.Pages).TotalCount = 100;
        }));
        var r = await sim.Post("assets/associate", "{\"assets\":[{\"adamId\":\"361309726\"},{\"adamId\":\"361304892\"}],\"clientUserIds\":[\"client-1\",\"client-2\",\"client-3\",\"client-4\"],\"serialNumbers\":[\"C02000000001\",\"C02000000002\",\"C02000000003\",\"C02000000004\"]}");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(new[] { "eventId", "tokenExpirationDate", "uId" }, r.Keys);
        Assert.True(Guid.TryParse(r["eventId"].GetString(), out _));
        var st = await sim.Status(r);
        Assert.Equal(new[] { "eventStatus", "eventType", "failures", "numCompleted", "numRequested", "tokenExpirationDate", "uId" }, st.Keys);
        Assert.Equal("FAILED", st["eventStatus"].GetString());
        Assert.Equal("ASSOCIATE", st["eventType"].GetString());
        Assert.Equal(16, st["numRequested"].GetInt32());
        Assert.Equal(14, st["numCompleted"].GetInt32());
        var f = Assert.Single(st["failures"].EnumerateArray());
        Assert.Equal(9609, f.GetProperty("errorNumber").GetInt32());
        Assert.Equal(new[] { "client-4" }, f.GetProperty("errorInfo").GetProperty("clientUserIds").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(7, sim.State.GetAssignments("Test School").Count(a => a.AdamId == "361304892"));
        Assert.Equal(7, sim.State.GetAssignments("Test School").Count(a => a.AdamId == Scenarios.Pages)); // client-2 already held it
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Fact]
    public async Task Associate_completes_at_once_by_default_and_changes_the_version()
    {
        await using var sim = await Sim.StartAsync();
        var v0 = (await sim.Get("assets"))["versionId"].GetString();
        var r = await sim.Post("assets/associate", new { assets = Assets(Scenarios.Keynote), clientUserIds = new[] { "client-2", "client-3" }, serialNumbers = new[] { "C02000000009" } });
        var st = await sim.Status(r);
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());
        Assert.False(st.Json.TryGetProperty("failures", out _));
        Assert.Equal(3, st["numRequested"].GetInt32());
        Assert.Equal(3, st["numCompleted"].GetInt32());
        var assets = await sim.Get("assets?adamId=" + Scenarios.Keynote);
        Assert.Equal(5, assets["assets"][0].GetProperty("assignedCount").GetInt32());
        Assert.NotEqual(v0, assets["versionId"].GetString());
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Fact]
    public async Task Associating_a_held_license_again_is_idempotent()
    {
        await using var sim = await Sim.StartAsync();
        for (int i = 0; i < 2; i++)
        {
            var r = await sim.Post("assets/associate", new { assets = Assets(Scenarios.Keynote), clientUserIds = new[] { "client-1" } });
            Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        }
        Assert.Equal(2, sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Keynote).AssignedCount);
    }

    [Fact]
    public async Task Not_enough_licenses_fails_the_excess_targets_with_9709()
    {
        await using var sim = await Sim.StartAsync();
        // Pages: 3 total, 1 assigned -> 2 available; ask for 4 new targets
        var r = await sim.Post("assets/associate", new { assets = Assets(Scenarios.Pages), clientUserIds = new[] { "client-1", "client-3" }, serialNumbers = new[] { "S1", "S2" } });
        var st = await sim.Status(r);
        Assert.Equal("FAILED", st["eventStatus"].GetString());
        Assert.Equal(4, st["numRequested"].GetInt32());
        Assert.Equal(2, st["numCompleted"].GetInt32());
        var f = Assert.Single(st["failures"].EnumerateArray());
        Assert.Equal(9709, f.GetProperty("errorNumber").GetInt32());
        var info = f.GetProperty("errorInfo");
        Assert.Equal(Scenarios.Pages, info.GetProperty("assets")[0].GetProperty("adamId").GetString());
        Assert.Equal("STDQ", info.GetProperty("assets")[0].GetProperty("pricingParam").GetString());
        Assert.Equal(new[] { "S1", "S2" }, info.GetProperty("serialNumbers").EnumerateArray().Select(x => x.GetString()));
        var pages = sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Pages);
        Assert.Equal(3, pages.AssignedCount);
        Assert.Equal(0, pages.AvailableCount);
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Fact]
    public async Task Missing_pricingParam_means_STDQ()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("assets/associate", "{\"assets\":[{\"adamId\":\"361304891\"}],\"clientUserIds\":[\"client-1\"]}");
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        Assert.Contains(sim.State.GetAssignments("Test School"), a => a.AdamId == Scenarios.Numbers && a.PricingParam == "STDQ" && a.ClientUserId == "client-1");
    }

    [Theory]
    [InlineData("{\"clientUserIds\":[\"client-1\"]}", 9718)]
    [InlineData("{\"assets\":[],\"clientUserIds\":[\"client-1\"]}", 9718)]
    [InlineData("{\"assets\":[{\"adamId\":\"1\"},{\"adamId\":\"2\"},{\"adamId\":\"3\"}],\"clientUserIds\":[\"client-1\"]}", 9700)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"}],\"clientUserIds\":[\"a\",\"b\",\"c\"]}", 9701)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"}],\"serialNumbers\":[\"a\",\"b\",\"c\"]}", 9702)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"},{\"adamId\":\"361285480\",\"pricingParam\":\"STDQ\"}],\"clientUserIds\":[\"client-1\"]}", 9703)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"}],\"clientUserIds\":[\"a\",\"a\"]}", 9704)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"}],\"serialNumbers\":[\"a\",\"a\"]}", 9705)]
    [InlineData("{\"assets\":[{\"adamId\":\"395489426\"}],\"serialNumbers\":[\"S1\"]}", 9707)]
    [InlineData("{\"assets\":[{\"adamId\":\"500000001\"}],\"serialNumbers\":[\"S1\"]}", 9707)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"}]}", 9719)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\"}],\"clientUserIds\":[],\"serialNumbers\":[]}", 9719)]
    [InlineData("{\"assets\":[{\"adamId\":\"361285480\",\"pricingParam\":\"GOLD\"}],\"clientUserIds\":[\"client-1\"]}", 9602)]
    public async Task Associate_validation_is_synchronous(string body, int error)
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s =>
        {
            s.Limits!["maxAssets"] = 2; s.Limits["maxClientUserIds"] = 2; s.Limits["maxSerialNumbers"] = 2;
        }));
        var before = sim.State.GetLocation("Test School").VersionId;
        var r = await sim.Post("assets/associate", body);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(error, r.ErrorNumber);
        Assert.Equal(new[] { "errorMessage", "errorNumber" }, r.Keys);
        Assert.Equal(before, sim.State.GetLocation("Test School").VersionId);
    }

    [Fact]
    public async Task Books_are_user_assignable_but_not_revocable()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("assets/associate", new { assets = Assets(Scenarios.Book), clientUserIds = new[] { "client-2" } });
        Assert.Equal("COMPLETE", (await sim.Status(r))["eventStatus"].GetString());
        var d = await sim.Post("assets/disassociate", new { assets = Assets(Scenarios.Book), clientUserIds = new[] { "client-2" } });
        Assert.Equal(HttpStatusCode.BadRequest, d.Status);
        Assert.Equal(9706, d.ErrorNumber);
        var rev = await sim.Post("assets/revoke", new { clientUserIds = new[] { "client-2" } });
        Assert.Equal("COMPLETE", (await sim.Status(rev))["eventStatus"].GetString());
        Assert.Contains(sim.State.GetAssignments("Test School"), a => a.AdamId == Scenarios.Book && a.ClientUserId == "client-2");
        Assert.DoesNotContain(sim.State.GetAssignments("Test School"), a => a.AdamId == Scenarios.Pages && a.ClientUserId == "client-2");
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Fact]
    public async Task Disassociate_frees_licenses_for_users_and_devices_in_one_request()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("assets/disassociate", new { assets = Assets(Scenarios.Keynote), clientUserIds = new[] { "client-1" }, serialNumbers = new[] { "C02000000001" } });
        var st = await sim.Status(r);
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());
        Assert.Equal("DISASSOCIATE", st["eventType"].GetString());
        Assert.Equal(2, st["numRequested"].GetInt32());
        var k = sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Keynote);
        Assert.Equal(0, k.AssignedCount);
        Assert.Equal(10, k.AvailableCount);
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Fact]
    public async Task Revoke_frees_every_revocable_license_of_the_targets()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("assets/revoke", new { clientUserIds = new[] { "client-1" }, serialNumbers = new[] { "C02000000001" } });
        var st = await sim.Status(r);
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());
        Assert.Equal("REVOKE", st["eventType"].GetString());
        var left = sim.State.GetAssignments("Test School");
        Assert.DoesNotContain(left, a => a.AdamId == Scenarios.Keynote);
        Assert.Contains(left, a => a.AdamId == Scenarios.Book && a.ClientUserId == "client-1");
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Theory]
    [InlineData("{}", 9719)]
    [InlineData("{\"clientUserIds\":[\"a\",\"b\",\"c\"]}", 9701)]
    [InlineData("{\"serialNumbers\":[\"a\",\"b\",\"c\"]}", 9702)]
    [InlineData("{\"clientUserIds\":[\"a\",\"a\"]}", 9704)]
    [InlineData("{\"serialNumbers\":[\"a\",\"a\"]}", 9705)]
    public async Task Revoke_validation(string body, int error)
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => { s.Limits!["maxRevokeClientUserIds"] = 2; s.Limits["maxRevokeSerialNumbers"] = 2; }));
        var r = await sim.Post("assets/revoke", body);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(error, r.ErrorNumber);
    }

    [Fact]
    public async Task Create_users_registered_or_associated_and_9716_for_an_existing_active_user()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("users/create", new
        {
            users = new object[]
            {
                new { clientUserId = "new-1", email = "new-1@example.org" },
                new { clientUserId = "new-2", email = "new-2@example.org", managedAppleId = "new-2@appleid.example.org" },
                new { clientUserId = "client-1", email = "dup@example.org" },
                new { clientUserId = "client-old" },
            },
        });
        var st = await sim.Status(r);
        Assert.Equal("FAILED", st["eventStatus"].GetString());
        Assert.Equal("CREATE", st["eventType"].GetString());
        Assert.Equal(4, st["numRequested"].GetInt32());
        Assert.Equal(3, st["numCompleted"].GetInt32());
        var f = Assert.Single(st["failures"].EnumerateArray());
        Assert.Equal(9716, f.GetProperty("errorNumber").GetInt32());
        Assert.Equal("client-1", f.GetProperty("errorInfo").GetProperty("clientUserIds")[0].GetString());
        var users = sim.State.GetUsers("Test School");
        var n1 = users.Single(u => u.ClientUserId == "new-1");
        Assert.Equal("Registered", n1.Status);
        Assert.Matches("^[0-9a-f]{32}$", n1.InviteCode!);
        var n2 = users.Single(u => u.ClientUserId == "new-2");
        Assert.Equal("Associated", n2.Status);
        Assert.NotNull(n2.IdHash);
        Assert.Null(n2.InviteCode);
        // a retired clientUserId can be registered again: one Retired record + one active record
        Assert.Equal(new[] { "Retired", "Registered" }, users.Where(u => u.ClientUserId == "client-old").Select(u => u.Status));
    }

    [Theory]
    [InlineData("users/create", "{}", 9720)]
    [InlineData("users/create", "{\"users\":[]}", 9720)]
    [InlineData("users/create", "{\"users\":[{\"clientUserId\":\"a\"},{\"clientUserId\":\"b\"},{\"clientUserId\":\"c\"}]}", 9714)]
    [InlineData("users/create", "{\"users\":[{\"clientUserId\":\"a\"},{\"clientUserId\":\"a\"}]}", 9715)]
    [InlineData("users/create", "{\"users\":[{\"clientUserId\":\"a\",\"email\":\"not-an-email\"}]}", 9717)]
    [InlineData("users/update", "{\"users\":[{\"clientUserId\":\"client-1\",\"email\":\"a@@b\"}]}", 9717)]
    [InlineData("users/retire", "{\"users\":[{\"clientUserId\":\"a\"},{\"clientUserId\":\"a\"}]}", 9715)]
    [InlineData("users/create", "{\"users\":[{\"email\":\"a@example.org\"}]}", 9602)]
    public async Task User_validation_is_synchronous(string path, string body, int error)
    {
        await using var sim = await Sim.StartAsync(Scenarios.Small(s => s.Limits!["maxUsers"] = 2));
        var r = await sim.Post(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(error, r.ErrorNumber);
    }

    [Fact]
    public async Task Update_users_and_9609_for_unknown()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("users/update", new { users = new object[] { new { clientUserId = "client-3", email = "c3-new@example.org", managedAppleId = "c3@appleid.example.org" }, new { clientUserId = "ghost" } } });
        var st = await sim.Status(r);
        Assert.Equal("FAILED", st["eventStatus"].GetString());
        Assert.Equal("UPDATE", st["eventType"].GetString());
        Assert.Equal(9609, st["failures"][0].GetProperty("errorNumber").GetInt32());
        var u = sim.State.GetUsers("Test School").Single(x => x.ClientUserId == "client-3");
        Assert.Equal("c3-new@example.org", u.Email);
        Assert.Equal("Associated", u.Status);
    }

    [Fact]
    public async Task Retire_releases_revocable_licenses_and_assigning_to_a_retired_user_fails_9609()
    {
        await using var sim = await Sim.StartAsync();
        var r = await sim.Post("users/retire", new { users = new[] { new { clientUserId = "client-2" } } });
        var st = await sim.Status(r);
        Assert.Equal("COMPLETE", st["eventStatus"].GetString());
        Assert.Equal("RETIRE", st["eventType"].GetString());
        Assert.Equal("Retired", sim.State.GetUsers("Test School").Single(u => u.ClientUserId == "client-2").Status);
        Assert.Equal(0, sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Pages).AssignedCount);
        var a = await sim.Post("assets/associate", new { assets = Assets(Scenarios.Keynote), clientUserIds = new[] { "client-2" } });
        var ast = await sim.Status(a);
        Assert.Equal("FAILED", ast["eventStatus"].GetString());
        Assert.Equal(9609, ast["failures"][0].GetProperty("errorNumber").GetInt32());
        Assert.Equal(0, ast["numCompleted"].GetInt32());
        Scenarios.AssertCountsAddUp(sim.State);
    }

    [Fact]
    public async Task Counts_add_up_after_a_mixed_sequence_of_writes_and_purchases()
    {
        await using var sim = await Sim.StartAsync();
        var rnd = new Random(5);
        var ids = new[] { Scenarios.Keynote, Scenarios.Pages, Scenarios.Numbers, Scenarios.NotDevice, Scenarios.Book, Scenarios.Free };
        var users = new[] { "client-1", "client-2", "client-3", "client-old", "ghost" };
        for (int i = 0; i < 30; i++)
        {
            var id = ids[rnd.Next(ids.Length)];
            var user = users[rnd.Next(users.Length)];
            switch (rnd.Next(4))
            {
                case 0: await sim.Post("assets/associate", new { assets = Assets(id), clientUserIds = new[] { user } }); break;
                case 1: await sim.Post("assets/associate", new { assets = Assets(id), serialNumbers = new[] { "SER" + rnd.Next(5) } }); break;
                case 2: await sim.Post("assets/disassociate", new { assets = Assets(id), clientUserIds = new[] { user } }); break;
                case 3: await sim.Post("assets/revoke", new { serialNumbers = new[] { "SER" + rnd.Next(5) } }); break;
            }
            Scenarios.AssertCountsAddUp(sim.State);
        }
        sim.State.BuyLicenses("Test School", Scenarios.Pages, 7);
        Scenarios.AssertCountsAddUp(sim.State);
        var pages = sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Pages);
        sim.State.RefundLicenses("Test School", Scenarios.Pages, (int)pages.AvailableCount);
        Assert.Equal(0, sim.State.GetAssets("Test School").First(a => a.AdamId == Scenarios.Pages).AvailableCount);
        Assert.Throws<InvalidOperationException>(() => sim.State.RefundLicenses("Test School", Scenarios.Pages, 1));
        Scenarios.AssertCountsAddUp(sim.State);
    }
}
