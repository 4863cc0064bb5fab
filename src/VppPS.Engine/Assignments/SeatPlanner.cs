using System.Data.Common;
using VppPS.Engine.Store;
using VppPS.Engine.Subscriptions;

namespace VppPS.Engine.Assignments;

/// <summary>
/// The subscription part of a token's plan: seats the Required assignments of subscriptions want
/// for the members of their user groups, and seats VppPS gave that nothing wants any more
/// (Uninstall, left the group, removed from the directory). Seats are given to users only, one
/// per subscription and user; a member of two groups wanting the same subscription gets a
/// renewing seat if either assignment asks for one. No seat beyond the available ones is
/// planned (by renewal state, as Apple hands them out: a renewing seat takes an available
/// renewing seat; an expiring one an available expiring seat, else a renewing one); the rest
/// wait, in the order of the assignments' creation. Seats of a subscription that is not ACTIVE
/// all wait (Apple gives seats of active subscriptions only). What open requests may still
/// change is left alone, and the seats they may take count as taken. Subscriptions are few and
/// their seats thousands, not millions: the whole of it is planned every time.
/// </summary>
internal static class SeatPlanner
{
    private sealed record Subscription(string Name, string? Status, string? PeriodEnd, long AvailableRenewing, long AvailableExpiring);

    private sealed record Held(bool Renewing, bool Managed, string? EndingAt);

    /// <param name="onlyAdamId">Plan one subscription only (the shortage check of Set-VppAssignment); null: all.</param>
    public static void Plan(DbConnection c, DbTransaction? t, long tokenKey, AssignmentPlan plan, InFlight? inFlight, string? onlyAdamId = null)
    {
        var k = ("$k", (object?)tokenKey);
        var only = ("$only", (object?)onlyAdamId);
        var subscriptions = ReadSubscriptions(c, t, tokenKey);
        var held = ReadHeld(c, t, tokenKey);

        // Wanted: every member of a user group with a Required assignment of the subscription, and every
        // user given a seat directly (Add-VppAppLicense), once; seats that lapse only within the billing
        // period they were asked for (covers_period_end; spec 2.10.4: they are not given again after it).
        var wanted = new Dictionary<(string AdamId, string Who), SeatChange>();
        using (var command = c.Command(t, $"""
            SELECT s.adam_id, mu.client_user_id, u.user_principal_name, u.user_key, s.id AS assignment_id, g.name AS grp, s.renewing, s.created_at AS rank
            FROM assignments s
            JOIN directory_groups g ON g.group_key = s.group_key AND g.kind = 'User'
            JOIN group_members gm ON gm.group_key = s.group_key
            JOIN directory_users u ON u.user_key = gm.member_key AND u.removed_at IS NULL
            LEFT JOIN managed_users mu ON mu.token_key = s.token_key AND mu.directory_user_id = u.id AND mu.retired_at IS NULL
            LEFT JOIN subscriptions sb ON sb.token_key = s.token_key AND sb.adam_id = s.adam_id
            WHERE s.token_key = $k AND s.product_type = 'Subscription' AND s.intent = 'Required' AND (CAST($only AS TEXT) IS NULL OR s.adam_id = $only)
              AND NOT {Lapsed("s")}
            UNION ALL
            SELECT r.adam_id, mu.client_user_id, u.user_principal_name, u.user_key, NULL, NULL, r.renewing, r.requested_at
            FROM license_requests r
            JOIN subscriptions sb ON sb.token_key = r.token_key AND sb.adam_id = r.adam_id
            JOIN directory_users u ON u.user_key = r.member_key AND u.removed_at IS NULL
            LEFT JOIN managed_users mu ON mu.token_key = r.token_key AND mu.directory_user_id = u.id AND mu.retired_at IS NULL
            WHERE r.token_key = $k AND r.pricing_param = '' AND r.target_kind = 0 AND (CAST($only AS TEXT) IS NULL OR r.adam_id = $only)
              AND NOT {Lapsed("r")}
            ORDER BY 1, 8, 5, 3
            """, k, only))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                var adamId = reader.GetString(0);
                var clientUserId = reader.GetStringOrNull(1);
                var upn = reader.GetString(2);
                var renewing = reader.GetInt64(6) != 0;
                var key = (adamId, clientUserId ?? "upn:" + upn);
                if (wanted.TryGetValue(key, out var first))
                {
                    if (renewing && !first.Renewing) wanted[key] = first with { Renewing = true };
                    continue;
                }
                var name = subscriptions.TryGetValue(adamId, out var sub) ? sub.Name : adamId;
                var group = reader.GetStringOrNull(5);
                wanted[key] = new SeatChange(adamId, name, clientUserId, upn, reader.GetInt64(3), reader.GetStringOrNull(4), group,
                    group is null ? "direct seat (Add-VppAppLicense)" : $"Required for user group '{group}'", renewing);
            }

        // Seats to take back: given by VppPS for an assignment that no longer wants them, still held at Apple.
        var freed = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var command = c.Command(t, """
            SELECT ms.adam_id, ms.client_user_id, coalesce(u.user_principal_name, ms.client_user_id), ms.assignment_id, g.name, s.intent, s.reclaim_immediately, ms.ending_at,
                   CASE WHEN u.user_key IS NULL THEN 1 ELSE 0 END
            FROM managed_seats ms
            JOIN subscription_seats ss ON ss.token_key = ms.token_key AND ss.adam_id = ms.adam_id AND ss.client_user_id = ms.client_user_id
            JOIN assignments s ON s.id = ms.assignment_id
            JOIN directory_groups g ON g.group_key = s.group_key
            LEFT JOIN managed_users mu ON mu.token_key = ms.token_key AND mu.client_user_id = ms.client_user_id
            LEFT JOIN directory_users u ON u.id = mu.directory_user_id AND u.removed_at IS NULL
            WHERE ms.token_key = $k AND (CAST($only AS TEXT) IS NULL OR ms.adam_id = $only)
              AND (s.intent = 'Uninstall' OR u.user_key IS NULL OR NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_key = s.group_key AND gm.member_key = u.user_key))
            ORDER BY ms.adam_id, ms.client_user_id
            """, k, only))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                var (adamId, clientUserId) = (reader.GetString(0), reader.GetString(1));
                if (wanted.ContainsKey((adamId, clientUserId))) continue; // another assignment still wants it
                if (inFlight is not null && inFlight.Seats.Contains((adamId, clientUserId))) continue;
                var deferred = reader.GetInt64(6) == 0;
                var ending = reader.GetStringOrNull(7) is not null;
                if (deferred && ending) continue; // taken back already; the seat ends at the period end
                var group = reader.GetString(4);
                var sub = subscriptions.GetValueOrDefault(adamId);
                var why = reader.GetString(5) == "Uninstall" ? $"Uninstall for group '{group}'"
                    : reader.GetInt64(8) == 1 ? "removed from the directory" : $"no longer in group '{group}'";
                plan.SeatDisassociations.Add(new SeatChange(adamId, sub?.Name ?? adamId, clientUserId, reader.GetString(2), null, reader.GetStringOrNull(3), group,
                    why + (deferred ? $"; the seat stays until the period end{(sub?.PeriodEnd is { } end ? $" ({end})" : "")}" : "; at once"), Renewing: false, Deferred: deferred));
                if (!deferred) freed[adamId] = freed.GetValueOrDefault(adamId) + 1;
            }

        // Seats to give: wanted and not held; held but ending (the association cancels the reclaim); held with the other renewal.
        var candidates = new List<SeatChange>();
        foreach (var change in wanted.Values)
        {
            if (change.ClientUserId is { } user)
            {
                if (inFlight is not null && inFlight.Seats.Contains((change.AdamId, user))) continue;
                if (held.TryGetValue((change.AdamId, user), out var seat))
                {
                    if (seat.EndingAt is not null)
                        candidates.Add(change with { Reason = change.Reason + "; cancels the reclaim at the period end" });
                    else if (seat.Renewing != change.Renewing)
                        candidates.Add(change with { Reason = change.Reason + (change.Renewing ? "; the seat renews from now on" : "; the seat lapses at the period end from now on") });
                    continue;
                }
            }
            candidates.Add(change with { NeedsSeat = true });
        }

        // Never more than owned, per subscription, by renewal state.
        foreach (var bySubscription in candidates.GroupBy(x => x.AdamId))
        {
            var sub = subscriptions.GetValueOrDefault(bySubscription.Key);
            if (sub is null || !string.Equals(sub.Status ?? "ACTIVE", "ACTIVE", StringComparison.OrdinalIgnoreCase))
            {
                var state = sub is null ? "no longer listed by Apple" : sub.Status;
                plan.SeatWaiting.AddRange(bySubscription.Select(x => x with { Reason = x.Reason + $"; waiting: the subscription is {state}, and Apple gives seats of active subscriptions only" }));
                continue;
            }
            var renewingLeft = sub.AvailableRenewing + freed.GetValueOrDefault(bySubscription.Key);
            var expiringLeft = sub.AvailableExpiring;
            // Seats open associations may still take: from the expiring ones first, as an expiring association would.
            var reserved = (long)(inFlight?.ReservedSeats.GetValueOrDefault(bySubscription.Key) ?? 0);
            var fromExpiring = Math.Min(Math.Max(0, expiringLeft), reserved);
            expiringLeft -= fromExpiring;
            renewingLeft -= reserved - fromExpiring;
            var needed = bySubscription.Count(x => x.NeedsSeat);
            var waiting = new List<SeatChange>();
            foreach (var change in bySubscription)
            {
                if (!change.NeedsSeat) { plan.SeatAssociations.Add(change); continue; }
                if (!change.Renewing && expiringLeft > 0) { expiringLeft--; plan.SeatAssociations.Add(change); }
                else if (renewingLeft > 0) { renewingLeft--; plan.SeatAssociations.Add(change); }
                else waiting.Add(change);
            }
            if (waiting.Count > 0)
            {
                plan.Shortages[(bySubscription.Key, "")] = (sub.Name, needed, needed - waiting.Count);
                plan.SeatWaiting.AddRange(waiting.Select(w => w with { Reason = w.Reason + $"; waiting for a {(w.Renewing ? "renewing " : "")}seat ({waiting.Count} short)" }));
            }
        }
    }

    /// <summary>
    /// The plan of one subscription (Set-VppAssignment, Add-VppAppLicense): its seats, and the VPP
    /// users to create or adopt for the members it gives one.
    /// </summary>
    public static AssignmentPlan PlanOne(DbConnection c, DbTransaction t, long tokenKey, string tokenName, string adamId)
    {
        var plan = new AssignmentPlan { TokenName = tokenName, TokenKey = tokenKey };
        Plan(c, t, tokenKey, plan, PendingOperations.ReadInFlight(c, t, tokenKey), adamId);
        AssignmentPlanner.PlanVppUsers(c, t, tokenKey, plan);
        return plan;
    }

    /// <summary>
    /// Seats that lapse are given for one billing period: assignments and direct requests of such seats
    /// saved since the last apply take the period end Apple gives now (read just before, by the sync or
    /// the apply), and are not served after it (<see cref="Lapsed"/>). Saving them again starts over.
    /// </summary>
    internal static void CoverBillingPeriods(DbConnection c, DbTransaction t, long tokenKey) => AssignmentRecords.CoverBillingPeriods(c, t, tokenKey);

    /// <summary>
    /// SQL: whether the seats that lapse of an assignment or direct request (alias <paramref name="row"/>;
    /// the subscription is sb) were asked for a billing period that has ended: the subscription's period
    /// end, as last read, is later than the one they covered.
    /// </summary>
    internal static string Lapsed(string row) =>
        $"({row}.renewing = 0 AND {row}.covers_period_end IS NOT NULL AND sb.period_end_date IS NOT NULL AND sb.period_end_date > {row}.covers_period_end)";

    /// <summary>Each subscription's name for people, status, period end and available seats.</summary>
    private static Dictionary<string, Subscription> ReadSubscriptions(DbConnection c, DbTransaction? t, long tokenKey)
    {
        using var command = c.Command(t, """
            SELECT s.adam_id, sm.name, pm.name, s.parent_adam_id, s.status, s.period_end_date, s.available_renewing, s.available_expiring
            FROM subscriptions s LEFT JOIN asset_metadata sm ON sm.adam_id = s.adam_id LEFT JOIN asset_metadata pm ON pm.adam_id = s.parent_adam_id
            WHERE s.token_key = $k
            """, ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        var map = new Dictionary<string, Subscription>(StringComparer.Ordinal);
        while (reader.Read())
            map[reader.GetString(0)] = new Subscription(
                VppSubscription.Label(reader.GetStringOrNull(1), reader.GetStringOrNull(2), reader.GetStringOrNull(3), reader.GetString(0)),
                reader.GetStringOrNull(4), reader.GetStringOrNull(5), reader.GetInt64(6), reader.GetInt64(7));
        return map;
    }

    /// <summary>Seats Apple lists (as last read or recorded), whether VppPS gave them, and whether a deferred reclaim ends them.</summary>
    private static Dictionary<(string AdamId, string ClientUserId), Held> ReadHeld(DbConnection c, DbTransaction? t, long tokenKey)
    {
        using var command = c.Command(t, """
            SELECT ss.adam_id, ss.client_user_id, ss.renewing, CASE WHEN ms.client_user_id IS NULL THEN 0 ELSE 1 END, ms.ending_at
            FROM subscription_seats ss
            LEFT JOIN managed_seats ms ON ms.token_key = ss.token_key AND ms.adam_id = ss.adam_id AND ms.client_user_id = ss.client_user_id
            WHERE ss.token_key = $k
            """, ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        var map = new Dictionary<(string, string), Held>();
        while (reader.Read())
            map[(reader.GetString(0), reader.GetString(1))] = new Held(reader.GetInt64(2) != 0, reader.GetInt64(3) != 0, reader.GetStringOrNull(4));
        return map;
    }
}
