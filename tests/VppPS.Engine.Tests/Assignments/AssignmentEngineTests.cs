using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>AssignmentService, planner and applier against the simulator: what Apple holds afterwards.</summary>
[Collection("Simulator")]
public sealed class AssignmentEngineTests
{
    private const string School = "Test School";
    private const string TenApp = "100";        // 10 licenses
    private const string UserOnlyApp = "200";   // not device-assignable
    private const string Book = "300";
    private const string BigApp = "400";        // 1000 licenses, one held outside VppPS

    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Test District", LocationName = School,
                Assets =
                {
                    new ScenarioAsset { AdamId = TenApp, Name = "Ten App", TotalCount = 10 },
                    new ScenarioAsset { AdamId = UserOnlyApp, Name = "User Only App", TotalCount = 10, DeviceAssignable = false },
                    new ScenarioAsset { AdamId = Book, Name = "A Book", ProductType = "Book", TotalCount = 10 },
                    new ScenarioAsset { AdamId = BigApp, Name = "Big App", TotalCount = 1000 },
                },
                Assignments = { new ScenarioAssignment { AdamId = BigApp, SerialNumber = "OUTSIDE0001" } },
            },
        },
    };

    private static async Task<EngineHarness> StartAsync()
    {
        var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        return h;
    }

    private static string Serial(int i) => $"SER{i:D4}";

    private static DirectoryService DeviceGroup(EngineHarness h, string name, int devices)
    {
        var directory = new DirectoryService(h.Context);
        directory.NewGroup(name, DirectoryKind.Device, null);
        // Added in reverse: the stable order is the serial number's, not the order of arrival.
        directory.AddMembers(name, Enumerable.Range(1, devices).Reverse().Select(i => new MemberInput { SerialNumber = Serial(i) }).ToList());
        return directory;
    }

    private static SetAssignmentRequest Request(EngineHarness h, string adamId, string group, AssignmentIntent intent = AssignmentIntent.Required,
        bool allowShortage = false, LicenseType? licenseType = null) =>
        new(new AssetSelector(adamId, null, h.Token.Name), group, intent, licenseType, allowShortage);

    private static List<string> SimSerials(EngineHarness h, string adamId) =>
        h.Sim.GetAssignments(School).Where(a => a.AdamId == adamId && a.SerialNumber is not null).Select(a => a.SerialNumber!).Order(StringComparer.Ordinal).ToList();

    private static AssignmentPlan Plan(EngineHarness h) => new AssignmentApplier(h.Context).Plan(h.CurrentToken);

    [Fact]
    public async Task Required_for_a_device_group_gives_each_member_one_license_and_then_plans_nothing()
    {
        await using var h = await StartAsync();
        DeviceGroup(h, "iPads", 5);

        var result = await new AssignmentService(h.Context).SetAsync(Request(h, TenApp, "iPads"), whatIf: false, CancellationToken.None);

        Assert.Equal(5, result.Applied!.Associated);
        Assert.Equal(0, result.Applied.Failed);
        Assert.Equal(Enumerable.Range(1, 5).Select(Serial).ToList(), SimSerials(h, TenApp));
        Assert.Equal(5, result.Assignment.LicensedCount);
        Assert.True(Plan(h).IsEmpty);
        Assert.Empty(Plan(h).Waiting);
        Assert.Equal(h.SimLicenses(), h.StateLicenses());
        Assert.Equal(h.SimAssets(), h.StateAssets());
        Assert.All(h.StateLicenses().Where(l => l.AdamId == TenApp), l => Assert.NotNull(l.Serial));

        // A sync changes nothing more.
        var run = await h.SyncAsync();
        Assert.False(run.Applied!.Changed);
        Assert.Equal(5, SimSerials(h, TenApp).Count);
    }

    [Fact]
    public async Task A_shortage_is_refused_unless_allowed_and_then_filled_when_licenses_are_bought()
    {
        await using var h = await StartAsync();
        DeviceGroup(h, "Cart", 12);
        var service = new AssignmentService(h.Context);

        var e = await Assert.ThrowsAsync<VppException>(() => service.SetAsync(Request(h, TenApp, "Cart"), whatIf: false, CancellationToken.None));
        Assert.Equal("VppLicenseShortage", e.ErrorId);
        Assert.Empty(service.List());
        Assert.Empty(SimSerials(h, TenApp));
        Assert.DoesNotContain(h.StateLicenses(), l => l.AdamId == TenApp);

        var result = await service.SetAsync(Request(h, TenApp, "Cart", allowShortage: true), whatIf: false, CancellationToken.None);
        Assert.Equal(10, result.Applied!.Associated);
        Assert.Equal(2, result.Applied.Waiting);
        Assert.Equal(Enumerable.Range(1, 10).Select(Serial).ToList(), SimSerials(h, TenApp));
        var plan = Plan(h);
        Assert.Empty(plan.Associations);
        Assert.Equal([Serial(11), Serial(12)], plan.Waiting.Select(w => w.Target).ToList());

        h.Sim.BuyLicenses(School, TenApp, 2);
        var run = await h.SyncAsync();
        Assert.Equal(2, run.Applied!.Associated);
        Assert.Equal(0, run.Applied.Waiting);
        Assert.Equal(Enumerable.Range(1, 12).Select(Serial).ToList(), SimSerials(h, TenApp));
        Assert.True(Plan(h).IsEmpty);
        Assert.Empty(Plan(h).Waiting);
        Assert.Equal(h.SimLicenses(), h.StateLicenses());
    }

    [Fact]
    public async Task Assignments_that_break_the_rules_are_refused()
    {
        await using var h = await StartAsync();
        DeviceGroup(h, "iPads", 2);
        new DirectoryService(h.Context).NewGroup("Teachers", DirectoryKind.User, null);
        var service = new AssignmentService(h.Context);

        async Task<string> Refused(SetAssignmentRequest request) =>
            (await Assert.ThrowsAsync<VppException>(() => service.SetAsync(request, whatIf: false, CancellationToken.None))).ErrorId;

        Assert.Equal("VppBookToDeviceGroup", await Refused(Request(h, Book, "iPads")));
        Assert.Equal("VppBookNotRequired", await Refused(Request(h, Book, "Teachers", AssignmentIntent.Available)));
        Assert.Equal("VppBookDeviceLicensing", await Refused(Request(h, Book, "Teachers", licenseType: LicenseType.Device)));
        Assert.Equal("VppAvailableToDeviceGroup", await Refused(Request(h, TenApp, "iPads", AssignmentIntent.Available)));
        Assert.Equal("VppUserLicensingForDevices", await Refused(Request(h, TenApp, "iPads", licenseType: LicenseType.User)));
        Assert.Equal("VppNotDeviceAssignable", await Refused(Request(h, UserOnlyApp, "iPads")));
        Assert.Equal("VppNotDeviceAssignable", await Refused(Request(h, UserOnlyApp, "Teachers", licenseType: LicenseType.Device)));
        Assert.Equal("VppAvailableDeviceLicensing", await Refused(Request(h, TenApp, "Teachers", AssignmentIntent.Available, licenseType: LicenseType.Device)));

        Assert.Empty(service.List());
        Assert.Equal(["OUTSIDE0001"], h.Sim.GetAssignments(School).Select(a => a.SerialNumber!).ToList());
    }

    [Fact]
    public async Task A_member_who_leaves_is_reclaimed_and_Uninstall_reclaims_only_what_VppPS_gave()
    {
        await using var h = await StartAsync();
        var directory = DeviceGroup(h, "iPads", 3);
        // The device held outside VppPS is in the group too: Required finds its license there.
        directory.AddMembers("iPads", [new MemberInput { SerialNumber = "OUTSIDE0001" }]);
        var service = new AssignmentService(h.Context);
        var set = await service.SetAsync(Request(h, BigApp, "iPads"), whatIf: false, CancellationToken.None);
        Assert.Equal(3, set.Applied!.Associated);
        Assert.Equal(["OUTSIDE0001", Serial(1), Serial(2), Serial(3)], SimSerials(h, BigApp));
        Assert.Equal(4, h.Sim.GetAssets(School).Single(a => a.AdamId == BigApp).AssignedCount);

        directory.RemoveMembers("iPads", [Serial(3)]);
        Assert.Equal(Serial(3), Assert.Single(Plan(h).Disassociations).Target);
        var run = await h.SyncAsync();
        Assert.Equal(1, run.Applied!.Disassociated);
        Assert.Equal(0, run.Applied.Associated);
        Assert.Equal(["OUTSIDE0001", Serial(1), Serial(2)], SimSerials(h, BigApp));
        Assert.Equal(3, h.Sim.GetAssets(School).Single(a => a.AdamId == BigApp).AssignedCount);

        var uninstall = await service.SetAsync(Request(h, BigApp, "iPads", AssignmentIntent.Uninstall), whatIf: false, CancellationToken.None);
        Assert.Equal(2, uninstall.Applied!.Disassociated);
        Assert.Equal(["OUTSIDE0001"], SimSerials(h, BigApp));
        Assert.True(Plan(h).IsEmpty);
        Assert.Equal(h.SimLicenses(), h.StateLicenses());
        Assert.Equal(h.SimAssets(), h.StateAssets());
        var outside = Assert.Single(new Inventory.InventoryQueries(h.Context.Store).Licenses(new Inventory.LicenseFilter(AppPatterns: [BigApp])));
        Assert.False(outside.AssignedByVppPS);
    }
}
