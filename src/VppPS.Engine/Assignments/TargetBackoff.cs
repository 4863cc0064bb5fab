using System.Data.Common;
using VppPS.Engine.Apple;
using VppPS.Engine.Store;

namespace VppPS.Engine.Assignments;

/// <summary>
/// Apple errors that refuse a license change for a while rather than for good: 9632 (the same
/// request sent too often) and 9643 (the license is locked by a transfer between organizational
/// units that is not finished). A change refused with one of them is recorded in
/// license_failures like any failure, and is not sent again for its target until the wait of its
/// error has passed, so that no run retries it in a tight loop. Subscription seats wait the same
/// way after 9814 (not an active user) and 9817 (a seat from a group in Apple Business / Apple
/// School Manager), which Apple gives for a whole request and a single user is found by halving.
/// </summary>
internal static class TargetBackoff
{
    /// <summary>How long a target waits after the error; null for an error that does not back off.</summary>
    public static TimeSpan? For(int? errorNumber) => errorNumber switch
    {
        AppleErrorNumbers.RepeatedTooOften => TimeSpan.FromMinutes(15),
        AppleErrorNumbers.LockedByTransfer => TimeSpan.FromHours(1),
        // Subscription seats: the user is not an active VPP user (until a sync reads the users again),
        // or holds the seat through a group in Apple Business / Apple School Manager (changed there).
        AppleErrorNumbers.SubscriptionUserNotFound => TimeSpan.FromHours(1),
        AppleErrorNumbers.SubscriptionViaGroup => TimeSpan.FromHours(24),
        _ => null,
    };

    /// <summary>Why a target waits, for people.</summary>
    public static string Reason(int errorNumber) => errorNumber switch
    {
        AppleErrorNumbers.RepeatedTooOften => "Apple refused the same request as sent too often (9632)",
        AppleErrorNumbers.LockedByTransfer => "the license is locked by a transfer between organizational units (locations) that is not finished in Apple Business / Apple School Manager (9643)",
        AppleErrorNumbers.SubscriptionUserNotFound => "Apple does not know the user as an active VPP user (9814)",
        AppleErrorNumbers.SubscriptionViaGroup => "the user holds the seat through a group in Apple Business / Apple School Manager, where it must be changed (9817)",
        _ => $"Apple error {errorNumber}",
    };

    /// <summary>The targets of a token that still wait, with when they may be sent again and the error that made them wait.</summary>
    public static Dictionary<(string AdamId, string PricingParam, int TargetKind, string Target), (DateTimeOffset Until, int ErrorNumber)> Waiting(
        DbConnection c, DbTransaction? t, long tokenKey, DateTimeOffset now)
    {
        var waiting = new Dictionary<(string, string, int, string), (DateTimeOffset, int)>();
        using var command = c.Command(t, """
            SELECT adam_id, pricing_param, target_kind, target, error_number, failed_at FROM license_failures
            WHERE token_key = $k AND error_number IN ($repeated, $locked, $notFound, $viaGroup)
            """, ("$k", tokenKey), ("$repeated", AppleErrorNumbers.RepeatedTooOften), ("$locked", AppleErrorNumbers.LockedByTransfer),
            ("$notFound", AppleErrorNumbers.SubscriptionUserNotFound), ("$viaGroup", AppleErrorNumbers.SubscriptionViaGroup));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var error = (int)reader.GetInt64(4);
            var until = reader.GetString(5).ToDate() + For(error)!.Value;
            if (until > now)
                waiting[(reader.GetString(0), reader.GetString(1), (int)reader.GetInt64(2), reader.GetString(3))] = (until, error);
        }
        return waiting;
    }

    /// <summary>Records that Apple refused these changes with <paramref name="errorNumber"/> now (the whole request was refused).</summary>
    public static void Record(DbConnection c, DbTransaction t, long tokenKey, IEnumerable<PendingChange> changes, int errorNumber, string? message, DateTimeOffset now)
    {
        foreach (var change in changes)
            ManagedLicenses.RecordFailure(c, t, tokenKey, change.AdamId, change.PricingParam, change.TargetKind, change.Target, errorNumber, message, now.ToStored());
    }
}
