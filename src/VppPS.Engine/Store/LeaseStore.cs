using System.Data.Common;

namespace VppPS.Engine.Store;

/// <summary>
/// The leases table, its only writer. A lease gives one holder a resource (for example a token:
/// its sync, its plan's application, its removal) for a few minutes, renewed by the holder's
/// heartbeat. It is taken over when it expired, at once when its holder ran on this host and its
/// process is gone, or when broken on request. Every acquisition adds one to the resource's
/// fencing number; the holder's writes check it (<see cref="Lease.EnsureHeld"/>) in their own
/// transaction, so a holder whose lease was taken over writes nothing more. Each change is one
/// conditional UPDATE on the row: an acquisition on the fencing number as last read, a renewal or
/// a release on the holder and its fencing number. Plain SQL that PostgreSQL runs too.
/// </summary>
public sealed class LeaseStore
{
    private const string Columns = "resource, holder, holder_description, user_name, host_name, process_id, process_start, acquired_at, renewed_at, expires_at, fence";
    private readonly StateStore _store;
    private readonly IClock _clock;

    public LeaseStore(StateStore store, IClock clock)
    {
        _store = store;
        _clock = clock;
    }

    internal IClock Clock => _clock;

    /// <summary>
    /// Acquires <paramref name="resource"/> for <paramref name="holder"/> for <paramref name="duration"/>
    /// (renewed by <see cref="Lease.Renew"/>), unless another live holder has it. With
    /// <paramref name="breakFence"/>, a lease held under exactly that fencing number is broken.
    /// <paramref name="onAcquired"/> runs in the acquiring transaction, with the lease taken over (if any).
    /// </summary>
    internal LeaseAcquisition TryAcquire(string resource, LeaseHolder holder, TimeSpan duration, long? breakFence = null,
        Action<DbConnection, DbTransaction, LeaseInfo?, LeaseTakeover>? onAcquired = null)
    {
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration));
        return _store.Write((c, t) =>
        {
            c.Execute(t, "INSERT INTO leases (resource, fence) VALUES ($r, 0) ON CONFLICT (resource) DO NOTHING", ("$r", resource));
            var (current, fence) = ReadRow(c, t, resource);
            var now = _clock.UtcNow;
            LeaseTakeover takeover;
            if (current is null) takeover = LeaseTakeover.None;
            else if (breakFence == current.Fence) takeover = LeaseTakeover.Broken;
            else if (Abandoned(current, now) is var abandoned and not LeaseTakeover.None) takeover = abandoned;
            else return new LeaseAcquisition(null, current, null, LeaseTakeover.None);

            var taken = c.Execute(t, """
                UPDATE leases SET holder = $h, holder_description = $d, user_name = $u, host_name = $host, process_id = $pid, process_start = $ps,
                    acquired_at = $now, renewed_at = $now, expires_at = $exp, fence = fence + 1
                WHERE resource = $r AND fence = $seen
                """, ("$h", holder.Id), ("$d", holder.Description), ("$u", holder.User), ("$host", holder.Host), ("$pid", holder.ProcessId),
                ("$ps", holder.ProcessStart?.ToStored()), ("$now", now.ToStored()), ("$exp", (now + duration).ToStored()), ("$r", resource), ("$seen", fence));
            if (taken == 0)
                // Another writer acquired it between the read and the update (a store whose transactions do not serialize writers).
                return new LeaseAcquisition(null, ReadRow(c, t, resource).Current, null, LeaseTakeover.None);
            onAcquired?.Invoke(c, t, current, takeover);
            return new LeaseAcquisition(new Lease(this, resource, holder, fence + 1, duration), null, current, takeover);
        });
    }

    /// <summary>
    /// Whether the holder of <paramref name="current"/> has let go of it without releasing it, as of
    /// <paramref name="now"/>: <see cref="LeaseTakeover.Expired"/> when it stopped renewing it,
    /// <see cref="LeaseTakeover.HolderGone"/> when it ran on this host and its process is gone;
    /// <see cref="LeaseTakeover.None"/> when the holder may still run.
    /// </summary>
    internal static LeaseTakeover Abandoned(LeaseInfo current, DateTimeOffset now) =>
        current.ExpiresAt <= now ? LeaseTakeover.Expired
        : current.Holder.OnThisHost && ProcessIdentity.IsGone(current.Holder.ProcessId, current.Holder.ProcessStart) ? LeaseTakeover.HolderGone
        : LeaseTakeover.None;

    /// <summary>Who holds <paramref name="resource"/> now; null when nobody does.</summary>
    public LeaseInfo? Read(string resource) => _store.Read(c => ReadRow(c, null, resource).Current);

    /// <summary>
    /// Moves the expiry of a held lease on; false when the lease is no longer this holder's (taken
    /// over). The start time of this process is recorded again, read now, so that a later comparison
    /// with it does not depend on how the wall clock moved since the lease was taken.
    /// </summary>
    internal bool Renew(DbConnection c, DbTransaction t, Lease lease)
    {
        var now = _clock.UtcNow;
        return c.Execute(t, """
            UPDATE leases SET renewed_at = $now, expires_at = $exp, process_start = coalesce($ps, process_start)
            WHERE resource = $r AND holder = $h AND fence = $f
            """, ("$now", now.ToStored()), ("$exp", (now + lease.Duration).ToStored()), ("$ps", lease.Holder.ProcessId == Environment.ProcessId ? ProcessIdentity.StartOf(lease.Holder.ProcessId)?.ToStored() : null),
            ("$r", lease.Resource), ("$h", lease.Holder.Id), ("$f", lease.Fence)) == 1;
    }

    internal bool Renew(Lease lease) => _store.Write((c, t) => Renew(c, t, lease));

    /// <summary>Who holds the resource, inside a transaction.</summary>
    internal static LeaseInfo? Read(DbConnection c, DbTransaction? t, string resource) => ReadRow(c, t, resource).Current;

    /// <summary>Lets go of a held lease; the fencing number stays. Nothing happens when it was taken over meanwhile.</summary>
    internal void Release(Lease lease) => _store.Write((c, t) => c.Execute(t, """
        UPDATE leases SET holder = NULL, holder_description = NULL, user_name = NULL, host_name = NULL, process_id = NULL, process_start = NULL,
            acquired_at = NULL, renewed_at = NULL, expires_at = NULL
        WHERE resource = $r AND holder = $h AND fence = $f
        """, ("$r", lease.Resource), ("$h", lease.Holder.Id), ("$f", lease.Fence)));

    private static (LeaseInfo? Current, long Fence) ReadRow(DbConnection c, DbTransaction? t, string resource)
    {
        using var command = c.Command(t, $"SELECT {Columns} FROM leases WHERE resource = $r", ("$r", resource));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return (null, 0);
        var fence = reader.GetInt64(reader.GetOrdinal("fence"));
        if (reader.IsDBNull(reader.GetOrdinal("holder"))) return (null, fence);
        string Text(string column) => reader.GetString(reader.GetOrdinal(column));
        var start = reader.GetStringOrNull(reader.GetOrdinal("process_start"));
        var holder = new LeaseHolder(Text("holder"), Text("user_name"), Text("host_name"), reader.GetInt32(reader.GetOrdinal("process_id")),
            start?.ToDate(), Text("holder_description"));
        return (new LeaseInfo(resource, holder, Text("acquired_at").ToDate(), Text("renewed_at").ToDate(), Text("expires_at").ToDate(), fence), fence);
    }
}
