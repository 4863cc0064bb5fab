using System.Globalization;
using System.Data.Common;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Subscriptions;

/// <summary>
/// Owns subscriptions, subscription_seats and subscription_state: what the last sync read of
/// a token's subscriptions and seats, and what VppPS declared to Apple for it.
/// </summary>
internal static class SubscriptionStore
{
    /// <summary>A token's row of subscription_state (all null before its first sync or declaration).</summary>
    public sealed record State(SubscriptionManagement? Management, DateTimeOffset? RemindedAt, string? SubscriptionsVersion, string? SeatsVersion);

    public static State ReadState(DbConnection c, DbTransaction? t, long tokenKey)
    {
        using var command = c.Command(t, "SELECT management, reminded_at, subscriptions_version, seats_version FROM subscription_state WHERE token_key = $k", ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new State(reader.GetStringOrNull(0) is { } m ? Enum.Parse<SubscriptionManagement>(m) : null, reader.GetStringOrNull(1)?.ToDate(),
                reader.GetStringOrNull(2), reader.GetStringOrNull(3))
            : new State(null, null, null, null);
    }

    private static void EnsureState(DbConnection c, DbTransaction t, long tokenKey) =>
        c.Execute(t, "INSERT INTO subscription_state (token_key) VALUES ($k) ON CONFLICT (token_key) DO NOTHING", ("$k", tokenKey));

    public static void SetManagement(DbConnection c, DbTransaction t, long tokenKey, SubscriptionManagement management, DateTimeOffset now)
    {
        EnsureState(c, t, tokenKey);
        c.Execute(t, "UPDATE subscription_state SET management = $m, declared_at = $now WHERE token_key = $k",
            ("$m", management.ToString()), ("$now", now.ToStored()), ("$k", tokenKey));
    }

    public static void MarkReminded(DbConnection c, DbTransaction t, long tokenKey, DateTimeOffset now)
    {
        EnsureState(c, t, tokenKey);
        c.Execute(t, "UPDATE subscription_state SET reminded_at = $now WHERE token_key = $k", ("$now", now.ToStored()), ("$k", tokenKey));
    }

    /// <summary>
    /// Replaces the token's subscriptions with <paramref name="subscriptions"/> and, unless
    /// <paramref name="seats"/> is null (Apple's seats unchanged since the last read), its seats.
    /// </summary>
    public static void Replace(DbConnection c, DbTransaction t, long tokenKey, IReadOnlyList<ResponseSubscription> subscriptions, string? subscriptionsVersion,
        IReadOnlyList<SubscriptionAssignment>? seats, string? seatsVersion, DateTimeOffset now)
    {
        var k = ("$k", (object?)tokenKey);
        c.Execute(t, "DELETE FROM subscriptions WHERE token_key = $k", k);
        var (insert, p) = c.Prepared(t, """
            INSERT INTO subscriptions (token_key, adam_id, parent_adam_id, status, period_end_date, assigned_renewing, assigned_expiring,
                available_renewing, available_expiring, total_renewing, total_expiring)
            VALUES ($k, $a, $p, $s, $e, $ar, $ae, $vr, $ve, $tr, $te)
            ON CONFLICT (token_key, adam_id) DO NOTHING
            """, "$k", "$a", "$p", "$s", "$e", "$ar", "$ae", "$vr", "$ve", "$tr", "$te");
        using (insert)
        {
            foreach (var s in subscriptions.Where(s => !string.IsNullOrEmpty(s.AdamId)))
            {
                var counts = s.Counts;
                p[0].Value = tokenKey;
                p[1].Value = s.AdamId;
                p[2].Value = (object?)s.ParentAdamId ?? DBNull.Value;
                p[3].Value = (object?)s.Status ?? DBNull.Value;
                p[4].Value = (object?)PeriodEnd(s.PeriodEndDate) ?? DBNull.Value;
                p[5].Value = (long)(counts?.Assigned?.Renewing ?? 0);
                p[6].Value = (long)(counts?.Assigned?.Expiring ?? 0);
                p[7].Value = (long)(counts?.Available?.Renewing ?? 0);
                p[8].Value = (long)(counts?.Available?.Expiring ?? 0);
                p[9].Value = (long)(counts?.Total?.Renewing ?? 0);
                p[10].Value = (long)(counts?.Total?.Expiring ?? 0);
                insert.ExecuteNonQuery();
            }
        }
        if (seats is not null)
        {
            c.Execute(t, "DELETE FROM subscription_seats WHERE token_key = $k", k);
            var (seatInsert, sp) = c.Prepared(t, """
                INSERT INTO subscription_seats (token_key, adam_id, client_user_id, renewing) VALUES ($k, $a, $u, $r)
                ON CONFLICT (token_key, adam_id, client_user_id) DO UPDATE SET renewing = excluded.renewing
                """, "$k", "$a", "$u", "$r");
            using (seatInsert)
            {
                foreach (var seat in seats.Where(s => !string.IsNullOrEmpty(s.AdamId) && !string.IsNullOrEmpty(s.ClientUserId)))
                {
                    sp[0].Value = tokenKey;
                    sp[1].Value = seat.AdamId;
                    sp[2].Value = seat.ClientUserId;
                    sp[3].Value = seat.Renewing ? 1L : 0L;
                    seatInsert.ExecuteNonQuery();
                }
            }
        }
        EnsureState(c, t, tokenKey);
        c.Execute(t, """
            UPDATE subscription_state SET subscriptions_version = $sv, seats_version = CASE WHEN $seatsRead = 1 THEN $pv ELSE seats_version END, synced_at = $now
            WHERE token_key = $k
            """, k, ("$sv", subscriptionsVersion), ("$seatsRead", seats is null ? 0L : 1L), ("$pv", seatsVersion), ("$now", now.ToStored()));
    }

    /// <summary>
    /// The counts, status and period end Apple gives now (read before seats are planned), for the
    /// subscriptions the state has; the seat holders are left as they are.
    /// </summary>
    public static void UpdateCounts(DbConnection c, DbTransaction t, long tokenKey, IReadOnlyList<ResponseSubscription> subscriptions)
    {
        foreach (var s in subscriptions.Where(s => !string.IsNullOrEmpty(s.AdamId)))
        {
            var counts = s.Counts;
            c.Execute(t, """
                UPDATE subscriptions SET status = $s, period_end_date = $e, assigned_renewing = $ar, assigned_expiring = $ae,
                    available_renewing = $vr, available_expiring = $ve, total_renewing = $tr, total_expiring = $te
                WHERE token_key = $k AND adam_id = $a
                """, ("$s", s.Status), ("$e", PeriodEnd(s.PeriodEndDate)), ("$ar", (long)(counts?.Assigned?.Renewing ?? 0)), ("$ae", (long)(counts?.Assigned?.Expiring ?? 0)),
                ("$vr", (long)(counts?.Available?.Renewing ?? 0)), ("$ve", (long)(counts?.Available?.Expiring ?? 0)),
                ("$tr", (long)(counts?.Total?.Renewing ?? 0)), ("$te", (long)(counts?.Total?.Expiring ?? 0)), ("$k", tokenKey), ("$a", s.AdamId));
        }
    }

    /// <summary>
    /// Apple gave <paramref name="clientUserId"/> a seat (or changed its renewal): the seat is listed,
    /// and the counts follow as Apple's rules say (spec 2.10.4): a renewing seat is taken from the
    /// available renewing ones; an expiring one from the available expiring ones, else a renewing one.
    /// The next read of Apple's counts replaces these.
    /// </summary>
    public static void SeatGiven(DbConnection c, DbTransaction t, long tokenKey, string adamId, string clientUserId, bool renewing)
    {
        var key = new (string, object?)[] { ("$k", tokenKey), ("$a", adamId), ("$u", clientUserId), ("$r", renewing ? 1L : 0L) };
        var before = c.Scalar(t, "SELECT renewing FROM subscription_seats WHERE token_key = $k AND adam_id = $a AND client_user_id = $u", key);
        c.Execute(t, "INSERT INTO subscription_seats (token_key, adam_id, client_user_id, renewing) VALUES ($k, $a, $u, $r) " +
            "ON CONFLICT (token_key, adam_id, client_user_id) DO UPDATE SET renewing = excluded.renewing", key);
        if (before is null)
            c.Execute(t, """
                UPDATE subscriptions SET
                    assigned_renewing = assigned_renewing + $r, assigned_expiring = assigned_expiring + 1 - $r,
                    available_expiring = CASE WHEN $r = 0 AND available_expiring > 0 THEN available_expiring - 1 ELSE available_expiring END,
                    available_renewing = CASE WHEN ($r = 1 OR available_expiring = 0) AND available_renewing > 0 THEN available_renewing - 1 ELSE available_renewing END
                WHERE token_key = $k AND adam_id = $a
                """, key);
        else if (Convert.ToInt64(before) != (renewing ? 1L : 0L))
            c.Execute(t, "UPDATE subscriptions SET assigned_renewing = assigned_renewing + 2 * $r - 1, assigned_expiring = assigned_expiring + 1 - 2 * $r WHERE token_key = $k AND adam_id = $a", key);
    }

    /// <summary>
    /// Apple took <paramref name="clientUserId"/>'s seat back at once (or retired the user): no longer
    /// listed, and counted as available again (as a renewing seat, Apple's rule for renewing seats; the
    /// next read of Apple's counts says what it really returned as).
    /// </summary>
    public static void SeatTaken(DbConnection c, DbTransaction t, long tokenKey, string adamId, string clientUserId)
    {
        var key = new (string, object?)[] { ("$k", tokenKey), ("$a", adamId), ("$u", clientUserId) };
        if (c.Scalar(t, "SELECT renewing FROM subscription_seats WHERE token_key = $k AND adam_id = $a AND client_user_id = $u", key) is not { } before) return;
        c.Execute(t, "DELETE FROM subscription_seats WHERE token_key = $k AND adam_id = $a AND client_user_id = $u", key);
        c.Execute(t, """
            UPDATE subscriptions SET assigned_renewing = assigned_renewing - $r, assigned_expiring = assigned_expiring - 1 + $r, available_renewing = available_renewing + 1
            WHERE token_key = $k AND adam_id = $a
            """, ("$k", tokenKey), ("$a", adamId), ("$r", Convert.ToInt64(before)));
    }

    /// <summary>Apple retired the user: every seat the user held is released (spec 2.10.4).</summary>
    public static void UserRetired(DbConnection c, DbTransaction t, long tokenKey, string clientUserId)
    {
        var held = new List<string>();
        using (var command = c.Command(t, "SELECT adam_id FROM subscription_seats WHERE token_key = $k AND client_user_id = $u", ("$k", tokenKey), ("$u", clientUserId)))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) held.Add(reader.GetString(0));
        foreach (var adamId in held) SeatTaken(c, t, tokenKey, adamId, clientUserId);
    }

    /// <summary>A seat that retiring its holder's VPP user releases at once (spec 2.10.4).</summary>
    public sealed record SeatReleasedByRetiring(long TokenKey, string Token, string ClientUserId, string UserPrincipalName, string AdamId, string Subscription);

    /// <summary>
    /// Seats (as the last read or recorded) held by the VPP users VppPS will retire: those it created
    /// for people removed from the directory and not retired yet (adopted ones are never retired).
    /// <paramref name="tokenKey"/>: one token only; <paramref name="removedAt"/>: only people removed at
    /// that stored time (the removals of one command).
    /// </summary>
    public static List<SeatReleasedByRetiring> SeatsReleasedByRetiring(DbConnection c, DbTransaction? t, long? tokenKey, string? removedAt)
    {
        using var command = c.Command(t, """
            SELECT ss.token_key, tk.name, ss.client_user_id, u.user_principal_name, ss.adam_id, sm.name, pm.name, s.parent_adam_id
            FROM subscription_seats ss JOIN tokens tk ON tk.key = ss.token_key
            JOIN managed_users mu ON mu.token_key = ss.token_key AND mu.client_user_id = ss.client_user_id AND mu.retired_at IS NULL AND mu.adopted_at IS NULL
            JOIN directory_users u ON u.id = mu.directory_user_id AND u.removed_at IS NOT NULL
            LEFT JOIN subscriptions s ON s.token_key = ss.token_key AND s.adam_id = ss.adam_id
            LEFT JOIN asset_metadata sm ON sm.adam_id = ss.adam_id
            LEFT JOIN asset_metadata pm ON pm.adam_id = s.parent_adam_id
            WHERE (CAST($k AS BIGINT) IS NULL OR ss.token_key = $k) AND (CAST($at AS TEXT) IS NULL OR u.removed_at = $at)
            ORDER BY u.user_principal_name, lower(tk.name), ss.adam_id
            """, ("$k", tokenKey), ("$at", removedAt));
        using var reader = command.ExecuteReader();
        var list = new List<SeatReleasedByRetiring>();
        while (reader.Read())
        {
            list.Add(new SeatReleasedByRetiring(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                VppSubscription.Label(reader.GetStringOrNull(5), reader.GetStringOrNull(6), reader.GetStringOrNull(7), reader.GetString(4))));
        }
        return list;
    }

    /// <summary>Apple's YYYY-MM-DD, kept as is when it reads as a date; anything else is dropped.</summary>
    private static string? PeriodEnd(string? date) =>
        DateTime.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null;

    private static DateTime? ReadDate(DbDataReader reader, int i) =>
        reader.GetStringOrNull(i) is { } text ? DateTime.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null;

    /// <summary>The subscriptions of the given tokens (every token when null), by token and subscription.</summary>
    public static List<VppSubscription> Subscriptions(DbConnection c, IReadOnlyCollection<Guid>? tokenIds)
    {
        using var command = c.Command(null, """
            SELECT t.name, t.id, s.adam_id, s.parent_adam_id, pm.name, sm.name, s.status, s.period_end_date,
                   s.assigned_renewing, s.assigned_expiring, s.available_renewing, s.available_expiring, s.total_renewing, s.total_expiring
            FROM subscriptions s JOIN tokens t ON t.key = s.token_key
            LEFT JOIN asset_metadata pm ON pm.adam_id = s.parent_adam_id
            LEFT JOIN asset_metadata sm ON sm.adam_id = s.adam_id
            ORDER BY lower(t.name), s.adam_id
            """);
        using var reader = command.ExecuteReader();
        var list = new List<VppSubscription>();
        while (reader.Read())
        {
            var tokenId = Guid.Parse(reader.GetString(1));
            if (tokenIds is not null && !tokenIds.Contains(tokenId)) continue;
            list.Add(new VppSubscription
            {
                Token = reader.GetString(0),
                TokenId = tokenId,
                AdamId = reader.GetString(2),
                ParentAdamId = reader.GetStringOrNull(3),
                ParentApp = reader.GetStringOrNull(4),
                Name = reader.GetStringOrNull(5),
                Status = reader.GetStringOrNull(6),
                PeriodEndDate = ReadDate(reader, 7),
                AssignedRenewing = (int)reader.GetInt64(8),
                AssignedExpiring = (int)reader.GetInt64(9),
                AvailableRenewing = (int)reader.GetInt64(10),
                AvailableExpiring = (int)reader.GetInt64(11),
                TotalRenewing = (int)reader.GetInt64(12),
                TotalExpiring = (int)reader.GetInt64(13),
            });
        }
        return list;
    }

    /// <summary>The seats of the given tokens (every token when null), by token, subscription and user.</summary>
    public static List<(Guid TokenId, SubscriptionSeat Seat)> Seats(DbConnection c, IReadOnlyCollection<Guid>? tokenIds)
    {
        using var command = c.Command(null, """
            SELECT t.name, t.id, p.adam_id, sm.name, pm.name, p.client_user_id, u.email, p.renewing, s.period_end_date,
                   CASE WHEN ms.ending_at IS NULL THEN 0 ELSE 1 END, CASE WHEN ms.assignment_id IS NULL THEN 0 ELSE 1 END, s.parent_adam_id
            FROM subscription_seats p JOIN tokens t ON t.key = p.token_key
            LEFT JOIN managed_seats ms ON ms.token_key = p.token_key AND ms.adam_id = p.adam_id AND ms.client_user_id = p.client_user_id
            LEFT JOIN subscriptions s ON s.token_key = p.token_key AND s.adam_id = p.adam_id
            LEFT JOIN asset_metadata sm ON sm.adam_id = p.adam_id
            LEFT JOIN asset_metadata pm ON pm.adam_id = s.parent_adam_id
            LEFT JOIN vpp_users u ON u.token_key = p.token_key AND u.client_user_id = p.client_user_id
            ORDER BY lower(t.name), p.adam_id, p.client_user_id
            """);
        using var reader = command.ExecuteReader();
        var list = new List<(Guid, SubscriptionSeat)>();
        while (reader.Read())
        {
            var tokenId = Guid.Parse(reader.GetString(1));
            if (tokenIds is not null && !tokenIds.Contains(tokenId)) continue;
            var adamId = reader.GetString(2);
            var parent = reader.GetStringOrNull(4);
            list.Add((tokenId, new SubscriptionSeat
            {
                Token = reader.GetString(0),
                AdamId = adamId,
                Subscription = VppSubscription.Label(reader.GetStringOrNull(3), parent, reader.GetStringOrNull(11), adamId),
                ParentApp = parent,
                ClientUserId = reader.GetString(5),
                UserEmail = reader.GetStringOrNull(6),
                Renewing = reader.GetInt64(7) != 0,
                PeriodEndDate = ReadDate(reader, 8),
                Ending = reader.GetInt64(9) != 0,
                ByAssignment = reader.GetInt64(10) != 0,
            }));
        }
        return list;
    }
}
