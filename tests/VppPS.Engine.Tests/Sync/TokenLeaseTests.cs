using System.Collections.Concurrent;
using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Sync;

/// <summary>
/// The token's lease as syncs, assignments and token removal take it, against the simulator: a
/// busy token names its holder, -Force breaks a lease with a warning and an audit line, and a
/// run whose lease was taken over midway writes nothing more (a hook takes it over at a fixed step).
/// </summary>
[Collection("Simulator")]
public sealed class TokenLeaseTests
{
    private const string School = "Test School";
    private const string TenApp = "100"; // 10 licenses
    private const string BigApp = "400"; // 1000 licenses

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
                    new ScenarioAsset { AdamId = BigApp, Name = "Big App", TotalCount = 1000 },
                },
            },
        },
    };

    /// <summary>An observer that runs a hook on each verbose line (what is sent to Apple), on the engine's own thread.</summary>
    private sealed class HookObserver : IOperationObserver
    {
        public Action<string>? OnVerbose { get; set; }
        public ConcurrentQueue<string> Warnings { get; } = new();
        public void Verbose(string message) => OnVerbose?.Invoke(message);
        public void Warning(string message) => Warnings.Enqueue(message);
        public void Progress(int activityId, string activity, string status, int percent, bool completed = false) { }
        public bool ShouldProcess(string target, string action) => true;
    }

    private static long TokenKey(EngineHarness h) =>
        h.Context.Store.Read(c => (long)c.Scalar(null, "SELECT key FROM tokens WHERE id = $id", ("$id", h.Token.Id.ToString()))!);

    private static LeaseHolder Elsewhere() =>
        new(Guid.NewGuid().ToString(), "ann", "runbook-sandbox-7", 4242, null, "Sync-VppToken of 'Test School' by ann on runbook-sandbox-7 (process 4242)");

    /// <summary>Another run takes the token's lease over, breaking the one held now (as Sync-VppToken -Force does elsewhere).</summary>
    private static Lease TakeOver(EngineHarness h)
    {
        var leases = new LeaseStore(h.Context.Store, h.Context.Clock);
        var resource = Lease.ForToken(TokenKey(h));
        var held = leases.Read(resource) ?? throw new InvalidOperationException("nobody holds the lease");
        return leases.TryAcquire(resource, Elsewhere(), TimeSpan.FromMinutes(3), breakFence: held.Fence).Lease!;
    }

    private static void Cart(EngineHarness h, int devices)
    {
        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Cart", DirectoryKind.Device, null);
        directory.AddMembers("Cart", Enumerable.Range(1, devices).Select(i => new MemberInput { SerialNumber = $"SER{i:D4}" }).ToList());
    }

    [Fact]
    public async Task A_second_run_is_told_who_holds_the_lease_and_since_when()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        var leases = new LeaseStore(h.Context.Store, h.Context.Clock);
        using var held = leases.TryAcquire(Lease.ForToken(TokenKey(h)), Elsewhere(), TimeSpan.FromMinutes(3)).Lease!;
        var since = leases.Read(held.Resource)!.AcquiredAt;

        var e = await Assert.ThrowsAsync<VppException>(() => h.SyncAsync());

        Assert.Equal("VppSyncInProgress", e.ErrorId);
        Assert.Equal(VppErrorKind.Conflict, e.Kind);
        Assert.Contains("by ann on runbook-sandbox-7 (process 4242)", e.Message);
        Assert.Contains($"holds its lease since {since.ToLocalTime():yyyy-MM-dd HH:mm:ss}", e.Message);
        Assert.Contains("Sync-VppToken -Name 'Test School' -Force", e.Message);
        Assert.Empty(h.SyncHistory());
    }

    [Fact]
    public async Task Force_breaks_a_held_lease_with_a_warning_and_an_audit_line()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        var held = new LeaseStore(h.Context.Store, h.Context.Clock).TryAcquire(Lease.ForToken(TokenKey(h)), Elsewhere(), TimeSpan.FromMinutes(3)).Lease!;
        var observer = new HookObserver();
        var context = new VppContext(h.Context.Session, "Sync-VppToken", observer);

        var run = await new SyncService(context).SyncAsync(h.CurrentToken, forceFull: false, CancellationToken.None, breakLease: true);

        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Contains(observer.Warnings, w => w.Contains("Breaking the lease of 'Test School' held by Sync-VppToken of 'Test School' by ann on runbook-sandbox-7 (process 4242)"));
        var audit = context.Journal.Read(new AuditQuery(TargetPattern: "token:*"), 0, 100).Single(a => a.Action == "BreakLease");
        Assert.Equal("Sync-VppToken", audit.Command);
        Assert.Contains("by ann on runbook-sandbox-7", audit.Summary);
        Assert.False(held.Renew()); // the broken holder learns it at its next heartbeat
        Assert.Null(new LeaseStore(h.Context.Store, h.Context.Clock).Read(Lease.ForToken(TokenKey(h)))); // released after the sync
    }

    [Fact]
    public async Task A_sync_whose_lease_was_taken_over_midway_makes_nothing_visible()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        Lease? intruder = null;
        var observer = new HookObserver();
        observer.OnVerbose = line => { if (intruder is null && line.StartsWith("GET") && line.Contains("/users")) intruder = TakeOver(h); };
        var context = new VppContext(h.Context.Session, "Sync-VppToken", observer);

        var e = await Assert.ThrowsAsync<VppException>(() => new SyncService(context).SyncAsync(h.CurrentToken, forceFull: false, CancellationToken.None));

        Assert.Equal("VppLeaseLost", e.ErrorId);
        Assert.Contains("runbook-sandbox-7", e.Message);
        Assert.Empty(h.StateAssets());
        Assert.Equal(SyncStatus.failed, h.SyncHistory().Single().Status);
        intruder!.Dispose();
        Assert.Equal(SyncStatus.completed, (await h.SyncAsync()).Status);
        Assert.Equal(h.SimAssets(), h.StateAssets());
    }

    [Fact]
    public async Task An_applier_whose_lease_was_taken_over_records_nothing_and_the_next_holder_follows_its_request_up()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        Cart(h, 3);
        Lease? intruder = null;
        var observer = new HookObserver();
        // Right after Apple answered the associate, before VppPS recorded it.
        observer.OnVerbose = line => { if (intruder is null && line.StartsWith("POST") && line.Contains("/assets/associate")) intruder = TakeOver(h); };
        var service = new AssignmentService(new VppContext(h.Context.Session, "Set-VppAssignment", observer));

        var e = await Assert.ThrowsAsync<VppException>(() => service.SetAsync(
            new SetAssignmentRequest(new AssetSelector(TenApp, null, School), "Cart", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None));

        Assert.Equal("VppLeaseLost", e.ErrorId);
        Assert.Equal(3, h.Sim.GetAssignments(School).Count(a => a.AdamId == TenApp)); // Apple applied it
        Assert.Empty(h.StateLicenses()); // the stale holder recorded nothing
        Assert.Equal("submitted", h.Context.Store.Read(c => (string)c.Scalar(null, "SELECT status FROM pending_operations")!));

        intruder!.Dispose();
        await h.SyncAsync();
        Assert.Equal(h.SimLicenses(), h.StateLicenses());
        Assert.Equal(3L, h.Context.Store.Read(c => (long)c.Scalar(null, "SELECT count(*) FROM managed_licenses")!));
        Assert.Equal("done", h.Context.Store.Read(c => (string)c.Scalar(null, "SELECT status FROM pending_operations")!));
    }

    [Fact]
    public async Task An_assignment_saved_while_another_run_holds_the_token_says_it_is_applied_later()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        Cart(h, 12);
        var held = new LeaseStore(h.Context.Store, h.Context.Clock).TryAcquire(Lease.ForToken(TokenKey(h)), Elsewhere(), TimeSpan.FromMinutes(3)).Lease!;
        var service = new AssignmentService(h.Context);

        var result = await service.SetAsync(new SetAssignmentRequest(new AssetSelector(TenApp, null, School), "Cart", AssignmentIntent.Required, null, AllowShortage: true),
            whatIf: false, CancellationToken.None);

        Assert.Null(result.Applied);
        Assert.Contains("is saved; it is applied by the run in progress (Sync-VppToken of 'Test School' by ann on runbook-sandbox-7 (process 4242)", result.AppliedLater);
        Assert.Contains("or the next sync", result.AppliedLater);
        Assert.Single(service.List());
        held.Dispose();
        Assert.Equal(10, (await h.SyncAsync()).Applied!.Associated);
    }

    [Fact]
    public async Task An_assignment_saved_while_another_run_applies_is_applied_by_the_next_sync()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        Cart(h, 3);
        var saved = false;
        var observer = new HookObserver();
        // While this run sends its plan (Big App), another admin saves an assignment (Ten App) it did not plan.
        observer.OnVerbose = line =>
        {
            if (saved || !line.StartsWith("POST") || !line.Contains("/assets/associate")) return;
            saved = true;
            new AssignmentService(h.Context).SetAsync(new SetAssignmentRequest(new AssetSelector(TenApp, null, School), "Cart", AssignmentIntent.Required, null, false),
                whatIf: false, CancellationToken.None, defer: true).GetAwaiter().GetResult();
        };
        var first = await new AssignmentService(new VppContext(h.Context.Session, "Set-VppAssignment", observer)).SetAsync(
            new SetAssignmentRequest(new AssetSelector(BigApp, null, School), "Cart", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None);
        Assert.True(saved);
        Assert.Equal(3, first.Applied!.Associated);

        var run = await h.SyncAsync();

        Assert.Equal(3, run.Applied!.Associated);
        Assert.Equal(3, h.Sim.GetAssignments(School).Count(a => a.AdamId == TenApp));
    }

    [Fact]
    public async Task The_shortage_of_an_assignment_counts_only_its_own_members()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        await h.SyncAsync();
        Cart(h, 12);
        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Lab", DirectoryKind.Device, null);
        directory.AddMembers("Lab", Enumerable.Range(1, 3).Select(i => new MemberInput { SerialNumber = $"LAB{i:D4}" }).ToList());
        var service = new AssignmentService(h.Context);
        var cart = await service.SetAsync(new SetAssignmentRequest(new AssetSelector(TenApp, null, School), "Cart", AssignmentIntent.Required, null, AllowShortage: true),
            whatIf: false, CancellationToken.None);
        Assert.Equal(2, cart.Applied!.Waiting);

        var e = await Assert.ThrowsAsync<VppException>(() => service.SetAsync(
            new SetAssignmentRequest(new AssetSelector(TenApp, null, School), "Lab", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None));

        Assert.Equal("VppLicenseShortage", e.ErrorId);
        Assert.Contains("Not enough licenses for 'Lab'", e.Message);
        Assert.Contains("needs 3 new license(s) and 0 are available (3 short)", e.Message); // not Cart's 2 waiting
    }

    [Fact]
    public async Task Removing_a_token_takes_its_lease()
    {
        await using var h = await EngineHarness.StartAsync(Scenario(), School);
        using var held = new LeaseStore(h.Context.Store, h.Context.Clock).TryAcquire(Lease.ForToken(TokenKey(h)), Elsewhere(), TimeSpan.FromMinutes(3)).Lease!;

        var e = await Assert.ThrowsAsync<VppException>(() => new TokenRemoval(h.Context).RemoveAsync(h.Token.Id, LicensePolicy.Refuse, CancellationToken.None));

        Assert.Equal("VppSyncInProgress", e.ErrorId);
        Assert.Single(h.Tokens.List());
    }
}
