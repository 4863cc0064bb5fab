using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tokens;

/// <summary>
/// One run at a time per token (a sync, applying its plan, its removal), across processes and
/// hosts sharing the state: the token's lease (see <see cref="LeaseStore"/>), renewed in the
/// background while held. A lease whose holder stopped renewing it is taken over once it expired,
/// one whose holder ran on this host and whose process is gone at once, and a live holder's only
/// when broken on request (Sync-VppToken -Force), with a warning and an audit line.
/// </summary>
public sealed class TokenLease : IDisposable
{
    private readonly VppContext _context;

    private TokenLease(VppContext context, long tokenKey, Lease lease)
    {
        _context = context;
        TokenKey = tokenKey;
        Lease = lease;
    }

    public long TokenKey { get; }
    public Lease Lease { get; }

    /// <summary>
    /// Takes the token's lease for this command, or throws VppSyncInProgress naming its holder and
    /// since when. With <paramref name="breakHeld"/>, a live holder's lease is broken (after
    /// ShouldProcess); that holder's later writes are then refused.
    /// </summary>
    public static TokenLease Acquire(VppContext context, VppToken token, bool breakHeld = false)
    {
        var key = context.Store.Read(c => TokenStore.Key(c, null, token.Id))
            ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"The token '{token.Name}' no longer exists.", token.Name);
        var leases = new LeaseStore(context.Store, context.Clock);
        var resource = Lease.ForToken(key);
        var holder = LeaseHolder.ThisProcess($"{context.Command} of '{token.Name}'");
        var duration = context.Configuration.LeaseDuration;

        void OnAcquired(DbConnection c, DbTransaction t, LeaseInfo? previous, LeaseTakeover takeover)
        {
            if (previous is null) return;
            var since = $"{previous.AcquiredAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}";
            switch (takeover)
            {
                case LeaseTakeover.HolderGone:
                    context.Observer.Warning($"Taking over the lease of '{token.Name}' from {previous.Holder.Description}, since {since}: that process is no longer running.");
                    break;
                case LeaseTakeover.Expired:
                    context.Observer.Warning($"Taking over the lease of '{token.Name}' from {previous.Holder.Description}, since {since}: it was last renewed at " +
                        $"{previous.RenewedAt.ToLocalTime():HH:mm:ss} and expired at {previous.ExpiresAt.ToLocalTime():HH:mm:ss}.");
                    break;
                case LeaseTakeover.Broken:
                    context.Observer.Warning($"Breaking the lease of '{token.Name}' held by {previous.Holder.Description} since {since}. " +
                        "If that run is still going, what it writes from now on is refused (VppLeaseLost); requests it already sent to Apple are followed up by this run or the next sync.");
                    context.Journal.Write(c, t, "token:" + token.Name, "BreakLease",
                        $"lease broken with -Force: it was held by {previous.Holder.Description} since {previous.AcquiredAt.ToStored()} (fencing number {previous.Fence}, now {previous.Fence + 1})");
                    break;
            }
        }

        var attempt = leases.TryAcquire(resource, holder, duration, null, OnAcquired);
        if (attempt.Busy is { } busy && breakHeld &&
            context.Observer.ShouldProcess(token.Name, $"Break the lease held by {busy.Holder.Description} since {busy.AcquiredAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}"))
            attempt = leases.TryAcquire(resource, holder, duration, busy.Fence, OnAcquired);
        if (attempt.Lease is not { } lease) throw Busy(token, attempt.Busy!);

        lease.Subject = $"the token '{token.Name}'";
        lease.StartHeartbeat();
        context.Leases.Add(lease);
        return new TokenLease(context, key, lease);
    }

    /// <summary>Whether <paramref name="e"/> says that another run holds a token's lease.</summary>
    public static bool IsBusy(VppException e) => e.ErrorId == BusyErrorId;

    private const string BusyErrorId = "VppSyncInProgress";

    private static VppException Busy(VppToken token, LeaseInfo busy) => new(VppErrorKind.Conflict, BusyErrorId,
        $"'{token.Name}' is busy: {busy.Holder.Description} holds its lease since {busy.AcquiredAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} " +
        $"(last renewed {busy.RenewedAt.ToLocalTime():HH:mm:ss}). Wait for it to finish, then run the command again if needed. " +
        $"If that run is gone, its lease expires at {busy.ExpiresAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}; to break it now, run Sync-VppToken -Name '{token.Name}' -Force.",
        token.Name);

    /// <summary>Stops the heartbeat and releases the lease.</summary>
    public void Dispose()
    {
        _context.Leases.Remove(Lease);
        Lease.Dispose();
    }
}
