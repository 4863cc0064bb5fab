using System.Data.Common;

namespace VppPS.Engine.Store;

/// <summary>
/// A lease this process holds (see <see cref="LeaseStore"/>): its resource, its holder, its
/// fencing number, and (once <see cref="StartHeartbeat"/> was called) a heartbeat that renews it
/// in the background every third of its duration until it is disposed or found taken over. Writes made under it call <see cref="EnsureHeld"/> inside their transaction.
/// Dispose releases it.
/// </summary>
public sealed class Lease : IDisposable
{
    private readonly LeaseStore _store;
    private readonly object _gate = new();
    private Timer? _heartbeat;
    private bool _disposed;
    private volatile bool _lost;

    internal Lease(LeaseStore store, string resource, LeaseHolder holder, long fence, TimeSpan duration)
    {
        _store = store;
        Resource = resource;
        Holder = holder;
        Fence = fence;
        Duration = duration;
        Subject = resource;
    }

    /// <summary>The resource name of a token's lease (its sync, its plan's application, its removal).</summary>
    public static string ForToken(long tokenKey) => $"token:{tokenKey}";

    public string Resource { get; }
    public LeaseHolder Holder { get; }
    /// <summary>The fencing number of this acquisition: one more than the resource's previous one.</summary>
    public long Fence { get; }
    public TimeSpan Duration { get; }
    /// <summary>What the lease is on, in words for messages ("the token 'X'").</summary>
    public string Subject { get; internal set; }
    /// <summary>Whether a renewal found the lease taken over by another holder.</summary>
    public bool Lost { get => _lost; private set => _lost = value; }
    /// <summary>The last failure of a background renewal (the store busy or unreachable), or null; the next one tries again.</summary>
    public Exception? LastHeartbeatError { get; private set; }

    /// <summary>The heartbeat's period: a third of the duration, so that two renewals may fail before the lease expires.</summary>
    public TimeSpan HeartbeatPeriod => Duration / 3;

    /// <summary>Renews the lease now, in a transaction of its own; false when it was taken over.</summary>
    public bool Renew()
    {
        if (Lost) return false;
        if (!_store.Renew(this)) Lost = true;
        return !Lost;
    }

    /// <summary>
    /// The "still mine?" check of a write made under this lease, inside its transaction: renews the
    /// lease when this holder still has it under this fencing number, and otherwise throws
    /// VppLeaseLost, so that the transaction writes nothing.
    /// </summary>
    internal void EnsureHeld(DbConnection c, DbTransaction t)
    {
        if (!Lost && _store.Renew(c, t, this)) return;
        Lost = true;
        var now = LeaseStore.Read(c, t, Resource);
        var by = now is null
            ? "it was broken and is free now"
            : $"{now.Holder.Description} took it over at {now.AcquiredAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} (fencing number {now.Fence}, this run had {Fence})";
        throw new VppException(VppErrorKind.Conflict, "VppLeaseLost",
            $"This run ({Holder.Description}) no longer holds the lease on {Subject}: {by}. It stopped before writing, so the newer state stays as it is. " +
            "Run the command again if it is still needed.", Subject);
    }

    /// <summary>Starts renewing the lease in the background every <see cref="HeartbeatPeriod"/>.</summary>
    public void StartHeartbeat()
    {
        lock (_gate)
        {
            if (_disposed || _heartbeat is not null) return;
            _heartbeat = new Timer(_ => Beat(), null, HeartbeatPeriod, HeartbeatPeriod);
        }
    }

    /// <summary>One heartbeat: renews the lease, stops beating once it was taken over; a failure is kept and the next beat tries again.</summary>
    internal void Beat()
    {
        lock (_gate)
        {
            if (_disposed) return;
            try
            {
                if (!Renew()) _heartbeat?.Dispose();
                LastHeartbeatError = null;
            }
            catch (Exception e) when (e is VppException or DbException or IOException or InvalidOperationException)
            {
                LastHeartbeatError = e;
            }
        }
    }

    /// <summary>
    /// Stops the heartbeat and releases the lease (nothing happens when it was taken over). A
    /// release that fails leaves the lease to expire, rather than hiding the error of the work.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _heartbeat?.Dispose();
        }
        if (Lost) return;
        try
        {
            _store.Release(this);
        }
        catch (Exception e) when (e is VppException or DbException)
        {
            LastHeartbeatError = e;
        }
    }
}
