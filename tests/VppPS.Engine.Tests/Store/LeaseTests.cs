using System.Diagnostics;
using VppPS.Engine.Store;
using VppPS.Engine.Tests.Apple;

namespace VppPS.Engine.Tests.Store;

/// <summary>The lease rules of LeaseStore, on a private database with a fake clock: no waiting on the wall clock.</summary>
public sealed class LeaseTests : IDisposable
{
    private static readonly TimeSpan Duration = TimeSpan.FromMinutes(3);
    private const string Resource = "token:1";
    private readonly TempFolder _folder = new();
    private readonly FakeClock _clock = new();
    private readonly LeaseStore _leases;

    public LeaseTests() => _leases = new LeaseStore(StateStore.Open(_folder.Path), _clock);

    public void Dispose() => _folder.Dispose();

    private static LeaseHolder OnAnotherHost() =>
        new(Guid.NewGuid().ToString(), "ann", "runbook-sandbox-7", 4242, DateTimeOffset.Parse("2026-11-25T07:00:00Z"), "Sync-VppToken of 'X' by ann on runbook-sandbox-7 (process 4242)");

    private static LeaseHolder OnThisHost(int pid, DateTimeOffset? start) =>
        new(Guid.NewGuid().ToString(), "bob", Environment.MachineName, pid, start, $"Sync-VppToken of 'X' by bob on {Environment.MachineName} (process {pid})");

    private Lease Acquire(LeaseHolder holder, long? breakFence = null)
    {
        var attempt = _leases.TryAcquire(Resource, holder, Duration, breakFence);
        Assert.NotNull(attempt.Lease);
        return attempt.Lease!;
    }

    [Fact]
    public void A_free_resource_is_acquired_and_every_acquisition_raises_the_fencing_number()
    {
        var first = Acquire(LeaseHolder.ThisProcess("first"));
        Assert.Equal(1, first.Fence);
        first.Dispose();
        Assert.Null(_leases.Read(Resource));
        var second = Acquire(LeaseHolder.ThisProcess("second"));
        Assert.Equal(2, second.Fence);
        Assert.Equal(2, _leases.Read(Resource)!.Fence);
    }

    [Fact]
    public void A_live_holder_is_refused_with_who_and_since()
    {
        var held = Acquire(OnAnotherHost());
        _clock.UtcNow += TimeSpan.FromMinutes(2);

        var attempt = _leases.TryAcquire(Resource, LeaseHolder.ThisProcess("second"), Duration);

        Assert.Null(attempt.Lease);
        Assert.Equal(held.Holder.Id, attempt.Busy!.Holder.Id);
        Assert.Equal("Sync-VppToken of 'X' by ann on runbook-sandbox-7 (process 4242)", attempt.Busy.Holder.Description);
        Assert.Equal(_clock.UtcNow - TimeSpan.FromMinutes(2), attempt.Busy.AcquiredAt);
        Assert.Equal(1, attempt.Busy.Fence);
    }

    [Fact]
    public void A_holder_of_this_process_is_alive_and_refused()
    {
        Acquire(LeaseHolder.ThisProcess("first"));
        Assert.NotNull(_leases.TryAcquire(Resource, LeaseHolder.ThisProcess("second"), Duration).Busy);
    }

    [Fact]
    public void A_holder_that_stopped_renewing_is_taken_over_once_its_lease_expired()
    {
        var stale = Acquire(OnAnotherHost());
        _clock.UtcNow += Duration - TimeSpan.FromSeconds(1);
        Assert.NotNull(_leases.TryAcquire(Resource, LeaseHolder.ThisProcess("early"), Duration).Busy);

        _clock.UtcNow += TimeSpan.FromSeconds(1);
        var attempt = _leases.TryAcquire(Resource, LeaseHolder.ThisProcess("late"), Duration);

        Assert.NotNull(attempt.Lease);
        Assert.Equal(LeaseTakeover.Expired, attempt.Takeover);
        Assert.Equal(stale.Holder.Id, attempt.Previous!.Holder.Id);
        Assert.Equal(2, attempt.Lease!.Fence);
        Assert.False(stale.Renew());
        Assert.True(stale.Lost);
    }

    [Fact]
    public void A_holder_on_this_host_whose_process_ended_is_taken_over_at_once()
    {
        using var process = Process.Start(OperatingSystem.IsWindows()
            ? new ProcessStartInfo("cmd.exe", "/c ping -n 60 127.0.0.1") { UseShellExecute = false, RedirectStandardOutput = true }
            : new ProcessStartInfo("/bin/sh", "-c \"sleep 60\"") { UseShellExecute = false })!;
        DateTimeOffset start;
        try
        {
            start = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Acquire(OnThisHost(process.Id, start));

        var attempt = _leases.TryAcquire(Resource, LeaseHolder.ThisProcess("after the crash"), Duration);

        Assert.NotNull(attempt.Lease);
        Assert.Equal(LeaseTakeover.HolderGone, attempt.Takeover);
    }

    [Fact]
    public void A_process_id_reused_by_a_process_started_at_another_time_is_not_the_holder()
    {
        // This process is alive, but not the one that took the lease: that one started an hour earlier.
        var myStart = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
        Acquire(OnThisHost(Environment.ProcessId, myStart - TimeSpan.FromHours(1)));

        var attempt = _leases.TryAcquire(Resource, LeaseHolder.ThisProcess("after a reboot"), Duration);

        Assert.NotNull(attempt.Lease);
        Assert.Equal(LeaseTakeover.HolderGone, attempt.Takeover);
    }

    [Fact]
    public void The_same_process_id_and_start_time_is_the_holder()
    {
        var myStart = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
        Acquire(OnThisHost(Environment.ProcessId, myStart));
        Assert.NotNull(_leases.TryAcquire(Resource, LeaseHolder.ThisProcess("second"), Duration).Busy);
    }

    [Fact]
    public void The_heartbeat_keeps_a_lease_past_its_first_expiry_and_a_taken_over_lease_stops_beating()
    {
        var held = Acquire(LeaseHolder.ThisProcess("first") with { Host = "other-host" });
        _clock.UtcNow += TimeSpan.FromMinutes(2);
        held.Beat();
        Assert.Null(held.LastHeartbeatError);
        Assert.Equal(_clock.UtcNow + Duration, _leases.Read(Resource)!.ExpiresAt);

        _clock.UtcNow += TimeSpan.FromMinutes(2); // past the first expiry, before the renewed one
        Assert.NotNull(_leases.TryAcquire(Resource, LeaseHolder.ThisProcess("second"), Duration).Busy);

        _clock.UtcNow += Duration; // no beat since: expired
        var next = Acquire(LeaseHolder.ThisProcess("third"));
        held.Beat();
        Assert.True(held.Lost);
        Assert.Equal(next.Holder.Id, _leases.Read(Resource)!.Holder.Id);
        Assert.Equal(Duration / 3, held.HeartbeatPeriod);
    }

    [Fact]
    public void A_write_of_a_holder_whose_lease_was_taken_over_is_refused_and_leaves_nothing()
    {
        var store = StateStore.Open(_folder.Path);
        var old = Acquire(OnAnotherHost());
        old.Subject = "the token 'X'";
        store.Write((c, t) => { old.EnsureHeld(c, t); c.Execute(t, "INSERT INTO settings (name, value) VALUES ('a', 'written under fence 1')"); });
        _clock.UtcNow += Duration;
        var newer = Acquire(LeaseHolder.ThisProcess("newer"));

        var e = Assert.Throws<VppException>(() =>
            store.Write((c, t) => { c.Execute(t, "INSERT INTO settings (name, value) VALUES ('b', 'stale')"); old.EnsureHeld(c, t); }));

        Assert.Equal("VppLeaseLost", e.ErrorId);
        Assert.Equal(VppErrorKind.Conflict, e.Kind);
        Assert.Contains("the token 'X'", e.Message);
        Assert.Contains(newer.Holder.Description, e.Message);
        Assert.Null(store.Read(c => c.Scalar(null, "SELECT value FROM settings WHERE name = 'b'")));
        Assert.Equal(2, newer.Fence);
        // Releasing a lost lease leaves the new holder's alone.
        old.Dispose();
        Assert.Equal(newer.Holder.Id, _leases.Read(Resource)!.Holder.Id);
    }

    [Fact]
    public void Breaking_takes_a_live_holders_lease_only_under_the_fencing_number_seen()
    {
        var live = Acquire(OnAnotherHost());
        Assert.NotNull(_leases.TryAcquire(Resource, LeaseHolder.ThisProcess("wrong fence"), Duration, breakFence: live.Fence + 5).Busy);

        var attempt = _leases.TryAcquire(Resource, LeaseHolder.ThisProcess("breaker"), Duration, breakFence: live.Fence);

        Assert.Equal(LeaseTakeover.Broken, attempt.Takeover);
        Assert.Equal(2, attempt.Lease!.Fence);
        Assert.False(live.Renew());
    }
}
