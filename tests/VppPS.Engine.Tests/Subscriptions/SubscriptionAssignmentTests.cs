using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;

namespace VppPS.Engine.Tests.Subscriptions;

/// <summary>Set-VppAssignment given a subscription (spec 2.10: seats go to users only).</summary>
[Collection("Simulator")]
public sealed class SubscriptionAssignmentTests
{
    [Fact]
    public async Task A_subscription_is_refused_for_a_device_group_and_device_licensing_with_what_to_do_and_nothing_is_written()
    {
        await using var h = await EngineHarness.StartDemoAsync("Riverside High School");
        await h.SyncAsync(forceFull: true);
        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Cart iPads", DirectoryKind.Device, null);
        directory.NewGroup("Readers", DirectoryKind.User, null);
        var service = new AssignmentService(h.Context);

        Task<SetAssignmentResult> Set(AssetSelector app, string group, LicenseType? type = null) =>
            service.SetAsync(new SetAssignmentRequest(app, group, AssignmentIntent.Required, type, false), whatIf: false, CancellationToken.None);

        var byId = new AssetSelector("1640000101", null, h.Token.Name);
        var toDevices = await Assert.ThrowsAsync<VppException>(() => Set(byId, "Cart iPads"));
        Assert.Equal(("VppSubscriptionUsersOnly", VppErrorKind.InvalidArgument), (toDevices.ErrorId, toDevices.Kind));
        Assert.Contains("device group 'Cart iPads'", toDevices.Message);
        Assert.Contains("users only", toDevices.Message);

        var deviceLicensing = await Assert.ThrowsAsync<VppException>(() => Set(byId, "Readers", LicenseType.Device));
        Assert.Equal("VppSubscriptionUsersOnly", deviceLicensing.ErrorId);
        Assert.Contains("-LicenseType User", deviceLicensing.Message);

        // Available is for apps members ask for: seats go to every member (Required) or are taken back (Uninstall).
        var available = await Assert.ThrowsAsync<VppException>(() => service.SetAsync(
            new SetAssignmentRequest(new AssetSelector(null, "1640000101", null), "Readers", AssignmentIntent.Available, null, false), whatIf: false, CancellationToken.None));
        Assert.Equal("VppSubscriptionNotAvailable", available.ErrorId);

        // Something that is neither an app nor a subscription is still not found.
        Assert.Equal("VppAppNotFound", (await Assert.ThrowsAsync<VppException>(() => Set(new AssetSelector("1999999999", null, h.Token.Name), "Readers"))).ErrorId);
        Assert.Empty(service.List());
    }
}
