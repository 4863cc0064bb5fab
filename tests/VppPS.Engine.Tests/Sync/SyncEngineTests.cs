using System.Net.Http.Headers;
using System.Text;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Sync;

/// <summary>SyncService against the simulator: the state ends equal to what Apple holds, or untouched.</summary>
[Collection("Simulator")]
public sealed class SyncEngineTests
{
    private const string Riverside = "Riverside High School";
    private const string HallPass = "1598346602"; // the Demo's custom B2B app: never synchronized

    [Fact]
    public async Task A_full_sync_makes_the_state_equal_to_the_simulator()
    {
        await using var h = await EngineHarness.StartDemoAsync();

        var run = await h.SyncAsync();

        Assert.Equal(SyncKind.Full, run.Kind);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(1, run.SkippedCount);
        Assert.NotEmpty(h.SimLicenses(HallPass));
        Assert.Equal(h.SimLicenses(HallPass), h.StateLicenses());
        Assert.Equal(h.SimUsers(), h.StateUsers());
        Assert.Equal(h.SimAssets(HallPass), h.StateAssets());
        var sim = h.Sim.GetAssets(Riverside).Where(a => !a.IsB2BCustomApp).ToList();
        Assert.Equal(sim.Count(a => a.ProductType == "App"), run.AppCount);
        Assert.Equal(sim.Count(a => a.ProductType == "Book"), run.BookCount);
        Assert.Equal(h.SimLicenses().Count, run.AssignmentCount); // read from Apple, the B2B app's included
        Assert.Equal(VppTokenSyncStatus.completed, h.CurrentToken.LastSyncStatus);
    }

    [Fact]
    public async Task An_incremental_sync_reads_only_what_changed_at_Apple()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        await h.SyncAsync();

        await AssociateAtAppleAsync(h, "361285480", "SIMNEW0001");
        var run = await h.SyncAsync();

        Assert.Equal(SyncKind.Incremental, run.Kind);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(1, run.AssignmentCount);
        Assert.Equal(0, run.UserCount);
        Assert.Contains(("361285480", "STDQ", (string?)null, (string?)"SIMNEW0001"), h.StateLicenses());
        Assert.Equal(h.SimLicenses(HallPass), h.StateLicenses());
        Assert.Equal(h.SimUsers(), h.StateUsers());
        Assert.Equal(h.SimAssets(HallPass), h.StateAssets());
    }

    [Fact]
    public async Task A_full_sync_over_a_synced_state_makes_it_equal_to_the_simulator_again()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        await h.SyncAsync();
        await AssociateAtAppleAsync(h, "361285480", "SIMNEW0001");

        var run = await h.SyncAsync(forceFull: true);

        Assert.Equal(SyncKind.Full, run.Kind);
        Assert.Contains(("361285480", "STDQ", (string?)null, (string?)"SIMNEW0001"), h.StateLicenses());
        Assert.Equal(h.SimLicenses(HallPass), h.StateLicenses());
        Assert.Equal(h.SimUsers(), h.StateUsers());
        Assert.Equal(h.SimAssets(HallPass), h.StateAssets());
    }

    [Fact]
    public async Task A_full_sync_keeps_one_license_per_assignment_listed_twice_and_a_users_active_record()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        var tokenKey = h.Context.Store.Read(c => c.Long(null, "SELECT key FROM tokens WHERE id = $id", ("$id", h.Token.Id.ToString())));
        var asset = new ResponseAsset { AdamId = "361285480", PricingParam = "STDQ", ProductType = "App", TotalCount = 10, AssignedCount = 2, AvailableCount = 8 };
        var twice = new Assignment { AdamId = "361285480", PricingParam = "STDQ", ClientUserId = "user-twice" };

        using (var staging = StagedInventory.Open(h.Context.Store))
        {
            staging.AddAssets([asset], new Dictionary<string, string>());
            staging.AddAssignments([twice, new Assignment { AdamId = "361285480", PricingParam = "STDQ", SerialNumber = "SERIAL1" }]);
            staging.AddAssignments([twice]);
            staging.AddUsers([new ResponseUser { ClientUserId = "user-twice", Email = "new@example.org", Status = "Associated" },
                              new ResponseUser { ClientUserId = "user-twice", Email = "old@example.org", Status = "Retired" }]);
            staging.Apply(tokenKey, full: true, (_, _, _) => { });
        }

        Assert.Equal([("361285480", "STDQ", (string?)null, (string?)"SERIAL1"), ("361285480", "STDQ", "user-twice", null)], h.StateLicenses());
        Assert.Equal([("user-twice", (string?)"new@example.org", "Associated", (string?)null, (string?)null)], h.StateUsers());
    }

    [Fact]
    public async Task A_sync_that_fails_midway_leaves_the_previous_state_intact()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        await h.SyncAsync();
        var licenses = h.StateLicenses();
        var users = h.StateUsers();
        var assets = h.StateAssets();

        // Changes at Apple that the failing sync would otherwise bring in.
        await AssociateAtAppleAsync(h, "361285480", "SIMNEW0002");
        h.Sim.BuyLicenses(Riverside, "361309726", 5);
        // Apple answers 9603 to every assignments page: 5 in a row stop the retries.
        h.Sim.ScheduleFault(Riverside, new SimulatorFault { Kind = SimulatorFaultKind.InternalError, Count = 6, Path = "assignments", RetryAfterSeconds = 0 });

        await Assert.ThrowsAsync<VppException>(() => h.SyncAsync());

        Assert.Equal(licenses, h.StateLicenses());
        Assert.Equal(users, h.StateUsers());
        Assert.Equal(assets, h.StateAssets());
        var failed = h.SyncHistory()[0];
        Assert.Equal(SyncStatus.failed, failed.Status);
        Assert.False(string.IsNullOrEmpty(failed.Error));
        Assert.Equal(VppTokenSyncStatus.failed, h.CurrentToken.LastSyncStatus);

        // The sixth fault is absorbed by a retry; the next sync catches up.
        var run = await h.SyncAsync();
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(h.SimLicenses(HallPass), h.StateLicenses());
        Assert.Equal(h.SimUsers(), h.StateUsers());
        Assert.Equal(h.SimAssets(HallPass), h.StateAssets());
        Assert.Equal(VppTokenSyncStatus.completed, h.CurrentToken.LastSyncStatus);
    }

    [Fact]
    public async Task A_version_change_mid_traversal_still_ends_with_the_simulators_state()
    {
        // Pages of 10 records: Riverside's assignments take three pages.
        await using var h = await EngineHarness.StartDemoAsync(change: s => s.PageSize = 10);
        Assert.True(h.Sim.GetAssignments(Riverside).Count > 20);
        var version = h.Sim.GetLocation(Riverside).VersionId;
        h.Sim.ScheduleFault(Riverside, new SimulatorFault { Kind = SimulatorFaultKind.VersionChange, Count = 1, Path = "assignments", MinPageIndex = 1 });

        var run = await h.SyncAsync();

        Assert.NotEqual(version, h.Sim.GetLocation(Riverside).VersionId); // the fault fired
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(h.SimLicenses().Count, run.AssignmentCount); // read from Apple, the B2B app's included
        Assert.Equal(h.SimLicenses(HallPass), h.StateLicenses());
        Assert.Equal(h.SimUsers(), h.StateUsers());
        Assert.Equal(h.SimAssets(HallPass), h.StateAssets());
    }

    [Fact]
    public async Task Another_MDM_claiming_the_location_stops_the_sync_and_marks_the_token()
    {
        await using var h = await EngineHarness.StartDemoAsync();
        await h.SyncAsync();
        var licenses = h.StateLicenses();

        h.Sim.ClaimByOtherMdm(Riverside);
        var e = await Assert.ThrowsAsync<VppException>(() => h.SyncAsync());

        Assert.Equal("VppTokenClaimedByOtherMdm", e.ErrorId);
        var token = h.CurrentToken;
        Assert.Equal(VppTokenState.assignedToExternalMDM, token.State);
        Assert.Contains("Other MDM", token.StateReason);
        Assert.Equal(VppTokenSyncStatus.failed, token.LastSyncStatus);
        Assert.Equal(licenses, h.StateLicenses());
        // And no further sync is attempted under it.
        Assert.Equal("VppTokenNotWritable", (await Assert.ThrowsAsync<VppException>(() => h.SyncAsync())).ErrorId);
    }

    /// <summary>Someone else (another tool, Apple School Manager) assigns a license directly at Apple.</summary>
    private static async Task AssociateAtAppleAsync(EngineHarness h, string adamId, string serial)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, h.Host.AppleBaseUrl + "/assets/associate")
        {
            Content = new StringContent($$"""{"assets":[{"adamId":"{{adamId}}","pricingParam":"STDQ"}],"serialNumbers":["{{serial}}"]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", h.Sim.GetLocation(h.Location).SToken);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Contains(h.Sim.GetAssignments(h.Location), a => a.AdamId == adamId && a.SerialNumber == serial);
    }
}
