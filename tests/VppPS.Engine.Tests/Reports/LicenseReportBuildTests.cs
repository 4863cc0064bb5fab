using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Reports;
using VppPS.Engine.Sync;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Reports;

/// <summary>LicenseReport.Build over a real state: tokens' health and the assignment plan's waiting members.</summary>
[Collection("Simulator")]
public sealed class LicenseReportBuildTests
{
    private const string North = "North School", South = "South School";
    private const string TenApp = "100", BigApp = "200";

    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Test District", LocationName = North, TokenExpiresInDays = 10,
                Assets =
                {
                    new ScenarioAsset { AdamId = TenApp, Name = "Ten App", TotalCount = 10 },
                    new ScenarioAsset { AdamId = BigApp, Name = "Big App", TotalCount = 1000 },
                },
            },
            new ScenarioLocation
            {
                OrgName = "Test District", LocationName = South,
                Assets = { new ScenarioAsset { AdamId = BigApp, Name = "Big App", TotalCount = 50 } },
            },
        },
    };

    [Fact]
    public async Task The_report_flags_a_token_claimed_by_another_MDM_as_stale_one_expiring_soon_and_counts_the_members_waiting()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), North);
        var south = await h.Tokens.AddAsync(new AddTokenRequest(ContentTokenFile.Parse(h.Host.TokenFiles.Single(t => t.LocationName == South).SToken, "south"),
            "a@b.example", VppTokenAccountType.education), CancellationToken.None);
        var sync = new SyncService(h.Context);
        await h.SyncAsync();
        await sync.SyncAsync(h.Tokens.Get(south.Id), false, CancellationToken.None);

        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Cart", DirectoryKind.Device, null);
        directory.AddMembers("Cart", Enumerable.Range(1, 12).Select(i => new MemberInput { SerialNumber = $"SER{i:D4}" }).ToList());
        await new AssignmentService(h.Context).SetAsync(new SetAssignmentRequest(new AssetSelector(TenApp, null, North), "Cart", AssignmentIntent.Required, null, AllowShortage: true),
            whatIf: false, CancellationToken.None);

        h.Sim.ClaimByOtherMdm(South, name: "Jamf Pro");
        await Assert.ThrowsAsync<VppException>(() => sync.SyncAsync(h.Tokens.Get(south.Id), false, CancellationToken.None));

        var report = LicenseReport.Build(h.Context, null);

        Assert.Equal([North, South], report.Tokens.Select(t => t.Token.Name));
        var north = report.Tokens[0];
        Assert.Equal(["Expires in 9 days"], north.Flags(report.GeneratedAt));
        Assert.False(north.Stale);
        var southSummary = report.Tokens[1];
        Assert.Equal(["Claimed by another MDM", "Stale: last sync failed"], southSummary.Flags(report.GeneratedAt));
        Assert.True(southSummary.Stale);
        Assert.Equal(HealthSeverity.Error, southSummary.Health);
        Assert.NotNull(southSummary.LastCompletedSync);
        Assert.Contains("Jamf Pro", southSummary.LastSyncError);

        var waiting = Assert.Single(report.Waiting);
        Assert.Equal((North, TenApp, "Ten App", 2, "Cart"), (waiting.Token, waiting.AdamId, waiting.Name, waiting.Count, Assert.Single(waiting.Groups)));
        var first = report.RunningOut()[0];
        Assert.Equal((North, TenApp, 0L, 2), (first.Asset.Token, first.Asset.AdamId, first.Asset.AvailableCount, first.Waiting));

        // A token filter limits the summary as it limits the rows.
        var only = LicenseReport.Build(h.Context, [South]);
        Assert.Equal([South], only.Tokens.Select(t => t.Token.Name));
        Assert.All(only.Rows, r => Assert.Equal(South, r.Asset.Token));
        Assert.Empty(only.Waiting);
        var byId = LicenseReport.Build(h.Context, null, new HashSet<Guid> { h.Token.Id });
        Assert.Equal([North], byId.Tokens.Select(t => t.Token.Name));
    }
}
