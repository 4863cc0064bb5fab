using System.Data.Common;
using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Subscriptions;

/// <summary>
/// The subscriptions part of a sync. Apple's subscription endpoints have no sinceVersionId
/// (spec 2.10.7), so the subscriptions (seat counts, a short list) are read whole every sync;
/// the seat holders are read whole on a full sync, and on an incremental one only when the
/// first page's versionId differs from the one of the last complete read (else that first page
/// is the only request). Reading and saving are apart, so that the sync saves them in its one
/// transaction with the rest of what it read.
/// </summary>
internal sealed class SubscriptionSync
{
    private SubscriptionSync(CursorReadResult<ResponseSubscription> subscriptions, CursorReadResult<SubscriptionAssignment> seats, SubscriptionStore.State before)
    {
        Subscriptions = subscriptions;
        Seats = seats;
        Before = before;
    }

    public CursorReadResult<ResponseSubscription> Subscriptions { get; }
    public CursorReadResult<SubscriptionAssignment> Seats { get; }
    public SubscriptionStore.State Before { get; }

    /// <summary>Whether the organizational unit owns seats of any subscription (zero-count entries do not count, as for Apple's 9818).</summary>
    public bool HasSubscriptions => Subscriptions.Items.Any(s => (s.Counts?.Total?.Renewing ?? 0) + (s.Counts?.Total?.Expiring ?? 0) > 0);

    /// <summary>
    /// Whether the admin is to be reminded now to declare subscription management: the unit has
    /// subscriptions, VppPS never declared anything for the token, and no earlier sync reminded.
    /// </summary>
    public bool RemindNow => HasSubscriptions && Before.Management is null && Before.RemindedAt is null;

    public static async Task<SubscriptionSync> ReadAsync(AppleClient client, VppContext context, long tokenKey, bool full, CancellationToken cancellationToken)
    {
        var before = context.Store.Read(c => SubscriptionStore.ReadState(c, null, tokenKey));
        var subscriptions = await client.ReadAllSubscriptionsAsync(null, cancellationToken).ConfigureAwait(false);
        var seats = await client.ReadAllSubscriptionAssignmentsAsync(null, full ? null : before.SeatsVersion, cancellationToken).ConfigureAwait(false);
        return new SubscriptionSync(subscriptions, seats, before);
    }

    /// <summary>Saves what was read in the caller's transaction; returns whether the admin is reminded (and records that).</summary>
    public bool Save(DbConnection c, DbTransaction t, long tokenKey, DateTimeOffset now)
    {
        SubscriptionStore.Replace(c, t, tokenKey, Subscriptions.Items, Subscriptions.VersionId, Seats.Unchanged ? null : Seats.Items, Seats.VersionId, now);
        if (RemindNow) SubscriptionStore.MarkReminded(c, t, tokenKey, now);
        return RemindNow;
    }

    /// <summary>The reminder: a warning that says the command (runbooks have no console to ask on).</summary>
    public static string Reminder(string tokenName) =>
        $"The organizational unit (location) of the token '{tokenName}' owns subscription seats, and VppPS has not declared to Apple whether it manages " +
        $"subscriptions there. Declare it once, so that Apple Business / Apple School Manager shows content managers the right state: " +
        $"Set-VppToken -Name '{tokenName}' -SubscriptionManagement Enabled (or Disabled). This reminder is given once.";
}
