using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Inventory;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>
/// A person the location already knows as a VPP user (same e-mail address, user principal name or
/// Managed Apple Account) is linked to that user, not given a second one: no new invitation, no
/// second license for the same person, and VppPS never retires a VPP user it did not create.
/// </summary>
[Collection("Simulator")]
public sealed class AdoptUsersTests
{
    private const string School = "Test School";
    private const string App = "200";

    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Test District", LocationName = School,
                Assets = { new ScenarioAsset { AdamId = App, Name = "User App", TotalCount = 10, DeviceAssignable = false } },
                Users =
                {
                    // Ann accepted an invitation sent by hand; Bob's Managed Apple Account was registered by another tool.
                    new ScenarioUser { ClientUserId = "outside-ann", Email = "Ann@District.example", Status = "Associated", IdHash = "a1" },
                    new ScenarioUser { ClientUserId = "outside-bob", Email = "bob@appleid.district.example", ManagedAppleId = "bob@appleid.district.example" },
                    // Retired users are not adopted: Cleo gets a new one.
                    new ScenarioUser { ClientUserId = "outside-cleo", Email = "cleo@district.example", Status = "Retired" },
                },
            },
        },
    };

    private static async Task<EngineHarness> StartAsync()
    {
        var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Teachers", DirectoryKind.User, null);
        directory.AddMembers("Teachers",
        [
            new MemberInput { UserPrincipalName = "ann@district.example", Mail = "ann@district.example" },
            new MemberInput { UserPrincipalName = "bob@district.example", Mail = "bob@district.example", ManagedAppleId = "bob@appleid.district.example" },
            new MemberInput { UserPrincipalName = "cleo@district.example", Mail = "cleo@district.example" },
        ]);
        return h;
    }

    [Fact]
    public async Task A_person_with_an_active_VPP_user_is_linked_to_it_and_only_the_others_are_created()
    {
        await using var h = await StartAsync();
        var service = new AssignmentService(h.Context);
        var request = new SetAssignmentRequest(new AssetSelector(App, null, h.Token.Name), "Teachers", AssignmentIntent.Required, null, false);

        var trial = await service.SetAsync(request, whatIf: true, CancellationToken.None);
        Assert.Equal(["ann@district.example|outside-ann", "bob@district.example|outside-bob"],
            trial.Plan.Where(i => i.Action == PlanAction.AdoptVppUser).Select(i => $"{i.Target}|{i.ClientUserId}").Order(StringComparer.Ordinal));
        Assert.Equal(["cleo@district.example"], trial.Plan.Where(i => i.Action == PlanAction.CreateVppUser).Select(i => i.Target));

        var result = await service.SetAsync(request, whatIf: false, CancellationToken.None);

        Assert.Equal((2, 1, 3), (result.Applied!.UsersAdopted, result.Applied.UsersCreated, result.Applied.Associated));
        // One VPP user per person at Apple: Ann's and Bob's existing ones hold the licenses; only Cleo was invited.
        var simUsers = h.SimUsers();
        Assert.Equal(4, simUsers.Count);
        var cleo = simUsers.Single(u => u.ClientUserId.StartsWith("vppps-", StringComparison.Ordinal));
        Assert.Equal("cleo@district.example", cleo.Email);
        var holders = h.SimLicenses().Where(l => l.AdamId == App).Select(l => l.User).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { "outside-ann", "outside-bob", cleo.ClientUserId }.Order(StringComparer.Ordinal), holders);
        Assert.True(new AssignmentApplier(h.Context).Plan(h.CurrentToken).IsEmpty);
        // Adopted users are not VppPS's own: Get-VppUser says so.
        var users = new InventoryQueries(h.Context.Store).Users(null, null, null, null).ToDictionary(u => u.ClientUserId);
        Assert.False(users["outside-ann"].ManagedByVppPS);
        Assert.Equal(1, users["outside-ann"].LicenseCount);
        Assert.True(users[cleo.ClientUserId].ManagedByVppPS);
    }

    [Fact]
    public async Task An_adopted_VPP_user_loses_the_license_VppPS_gave_when_the_person_leaves_but_is_never_retired()
    {
        await using var h = await StartAsync();
        var service = new AssignmentService(h.Context);
        await service.SetAsync(new SetAssignmentRequest(new AssetSelector(App, null, h.Token.Name), "Teachers", AssignmentIntent.Required, null, false),
            whatIf: false, CancellationToken.None);

        new DirectoryService(h.Context).RemoveUser("ann@district.example");
        var plan = new AssignmentApplier(h.Context).Plan(h.CurrentToken);
        Assert.Empty(plan.UsersToRetire);
        Assert.Equal(["outside-ann"], plan.Disassociations.Select(d => d.Target));

        await h.SyncAsync();

        Assert.Equal("Associated", h.SimUsers().Single(u => u.ClientUserId == "outside-ann").Status);
        Assert.DoesNotContain(h.SimLicenses(), l => l.User == "outside-ann");
    }
}
