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
            SELECT t.name, t.id, p.adam_id, sm.name, pm.name, p.client_user_id, u.email, p.renewing, s.period_end_date
            FROM subscription_seats p JOIN tokens t ON t.key = p.token_key
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
                Subscription = reader.GetStringOrNull(3) ?? (parent is null ? adamId : $"{parent} ({adamId})"),
                ParentApp = parent,
                ClientUserId = reader.GetString(5),
                UserEmail = reader.GetStringOrNull(6),
                Renewing = reader.GetInt64(7) != 0,
                PeriodEndDate = ReadDate(reader, 8),
            }));
        }
        return list;
    }
}
