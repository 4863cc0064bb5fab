using System.Data.Common;
using VppPS.Engine.Store;
using static VppPS.Engine.Assignments.AssignmentService;

namespace VppPS.Engine.Assignments;

/// <summary>
/// The assignments and license_requests tables' only writer, and the assignment capability's reads
/// of the synced assets, tokens and directory it resolves names against. Every method works in the
/// caller's unit of work (its connection and, for a write, its transaction).
/// </summary>
internal static class AssignmentRecords
{
    /// <summary>Whether the token has assignments of subscriptions.</summary>
    public static bool HasSubscriptionAssignments(DbConnection c, long tokenKey) =>
        c.Scalar(null, "SELECT 1 FROM assignments WHERE token_key = $k AND product_type = 'Subscription' LIMIT 1", ("$k", tokenKey)) is not null;

    /// <summary>
    /// Seats that lapse, asked for (assignments and direct requests of subscriptions) since the last
    /// apply, take the period end Apple gives now (see SeatPlanner.CoverBillingPeriods).
    /// </summary>
    public static void CoverBillingPeriods(DbConnection c, DbTransaction t, long tokenKey) => c.Execute(t, """
        UPDATE assignments SET covers_period_end = (SELECT sb.period_end_date FROM subscriptions sb WHERE sb.token_key = assignments.token_key AND sb.adam_id = assignments.adam_id)
        WHERE token_key = $k AND product_type = 'Subscription' AND renewing = 0 AND covers_period_end IS NULL;
        UPDATE license_requests SET covers_period_end = (SELECT sb.period_end_date FROM subscriptions sb WHERE sb.token_key = license_requests.token_key AND sb.adam_id = license_requests.adam_id)
        WHERE token_key = $k AND pricing_param = '' AND target_kind = 0 AND renewing = 0 AND covers_period_end IS NULL;
        """, ("$k", tokenKey));

    /// <summary>The ids of the assignments to the group.</summary>
    public static List<string> IdsOfGroup(DbConnection c, DbTransaction? t, long groupKey)
    {
        var ids = new List<string>();
        using (var command = c.Command(t, "SELECT id FROM assignments WHERE group_key = $g", ("$g", groupKey)))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    public static ExistingRow? ReadExisting(DbConnection c, DbTransaction t, AssetRow asset, GroupRow group)
    {
        using var command = c.Command(t, "SELECT id, license_type FROM assignments WHERE token_key = $k AND adam_id = $a AND pricing_param = $p AND group_key = $g",
            ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$g", group.Key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new ExistingRow(Guid.Parse(reader.GetString(0)), Enum.Parse<LicenseType>(reader.GetString(1))) : null;
    }

    /// <summary>Changes an assignment of an app or book.</summary>
    public static void Update(DbConnection c, DbTransaction t, Guid id, AssignmentIntent intent, LicenseType licenseType, bool allowShortage, string now) =>
        c.Execute(t, "UPDATE assignments SET intent = $i, license_type = $l, allow_shortage = $s, updated_at = $now WHERE id = $id",
            ("$i", intent.ToString()), ("$l", licenseType.ToString()), ("$s", allowShortage ? 1 : 0), ("$now", now), ("$id", id.ToString()));

    /// <summary>Adds an assignment of an app or book.</summary>
    public static void Insert(DbConnection c, DbTransaction t, Guid id, AssetRow asset, GroupRow group, AssignmentIntent intent, LicenseType licenseType, bool allowShortage, string now) =>
        c.Execute(t, """
            INSERT INTO assignments (id, token_key, adam_id, pricing_param, product_type, group_key, intent, license_type, allow_shortage, created_at, updated_at)
            VALUES ($id, $k, $a, $p, $type, $g, $i, $l, $s, $now, $now)
            """, ("$id", id.ToString()), ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$type", asset.ProductType),
            ("$g", group.Key), ("$i", intent.ToString()), ("$l", licenseType.ToString()), ("$s", allowShortage ? 1 : 0), ("$now", now));

    public static long AssetKey(DbConnection c, DbTransaction t, AssetRow asset) =>
        (long)c.Scalar(t, "SELECT asset_key FROM assets WHERE token_key = $k AND adam_id = $a AND pricing_param = $p",
            ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam))!;

    /// <summary>The assignment of a subscription to a group, if any: its id and whether its seats renew and are taken back at once.</summary>
    public static (Guid Id, bool? Renewing, bool? Immediate)? ReadSubscriptionAssignment(DbConnection c, DbTransaction t, long tokenKey, string adamId, long groupKey)
    {
        using var command = c.Command(t, "SELECT id, renewing, reclaim_immediately FROM assignments WHERE token_key = $k AND adam_id = $a AND pricing_param = '' AND group_key = $g",
            ("$k", tokenKey), ("$a", adamId), ("$g", groupKey));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (Guid.Parse(reader.GetString(0)), reader.GetInt64(1) != 0, reader.GetInt64(2) != 0) : null;
    }

    /// <summary>Changes an assignment of a subscription ($id, $i, $s, $r, $x, $now).</summary>
    public static void UpdateSubscription(DbConnection c, DbTransaction t, (string, object?)[] values) =>
        c.Execute(t, "UPDATE assignments SET intent = $i, allow_shortage = $s, renewing = $r, reclaim_immediately = $x, covers_period_end = NULL, updated_at = $now WHERE id = $id", values);

    /// <summary>Adds an assignment of a subscription ($id, $k, $a, $type, $g, $i, $s, $r, $x, $now).</summary>
    public static void InsertSubscription(DbConnection c, DbTransaction t, (string, object?)[] values) =>
        c.Execute(t, """
            INSERT INTO assignments (id, token_key, adam_id, pricing_param, product_type, group_key, intent, license_type, allow_shortage, renewing, reclaim_immediately, created_at, updated_at)
            VALUES ($id, $k, $a, '', $type, $g, $i, 'User', $s, $r, $x, $now, $now)
            """, values);

    /// <summary>
    /// The seats of a subscription Remove-VppAppLicense takes back: of the users named (by clientUserId,
    /// UPN or mail), the members of a user group, or all; VppPS's own unless <paramref name="includeUnmanaged"/>.
    /// </summary>
    public static List<(string ClientUserId, string Who, string? AssignmentId)> SeatsToTakeBack(DbConnection c, long tokenKey, string adamId, string[]? users, long? groupKey,
        bool all, bool includeUnmanaged, bool immediately)
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("$k", tokenKey), ("$a", adamId) };
        if (!all)
        {
            var any = new List<string>();
            for (var i = 0; i < (users?.Length ?? 0); i++)
            {
                any.Add($"(ss.client_user_id = $u{i} OR ss.client_user_id IN (SELECT mu.client_user_id FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND (du.user_principal_name = $u{i} OR lower(du.mail) = lower($u{i}))))");
                parameters.Add(($"$u{i}", users![i]));
            }
            if (groupKey is not null)
            {
                any.Add("ss.client_user_id IN (SELECT mu.client_user_id FROM group_members gm JOIN directory_users du ON du.user_key = gm.member_key JOIN managed_users mu ON mu.directory_user_id = du.id AND mu.token_key = $k WHERE gm.group_key = $g)");
                parameters.Add(("$g", groupKey));
            }
            where.Add("(" + string.Join(" OR ", any) + ")");
        }
        if (!includeUnmanaged) where.Add("ms.client_user_id IS NOT NULL");
        // A seat already ending is taken back again only to end it at once.
        if (!immediately) where.Add("ms.ending_at IS NULL");
        using var command = c.Command(null, $"""
            SELECT ss.client_user_id, coalesce(du.user_principal_name, ss.client_user_id), ms.assignment_id FROM subscription_seats ss
            LEFT JOIN managed_seats ms ON ms.token_key = ss.token_key AND ms.adam_id = ss.adam_id AND ms.client_user_id = ss.client_user_id
            LEFT JOIN managed_users mu ON mu.token_key = ss.token_key AND mu.client_user_id = ss.client_user_id
            LEFT JOIN directory_users du ON du.id = mu.directory_user_id
            WHERE ss.token_key = $k AND ss.adam_id = $a {(where.Count > 0 ? "AND " + string.Join(" AND ", where) : "")}
            ORDER BY ss.client_user_id
            """, parameters.ToArray());
        using var reader = command.ExecuteReader();
        var list = new List<(string, string, string?)>();
        while (reader.Read()) list.Add((reader.GetString(0), reader.GetString(1), reader.GetStringOrNull(2)));
        return list;
    }

    /// <summary>The seat asked for directly (Add-VppAppLicense) for the VPP user <paramref name="clientUserId"/> is no longer asked for.</summary>
    public static void ForgetSeatRequest(DbConnection c, DbTransaction t, long tokenKey, string adamId, string? clientUserId) =>
        c.Execute(t, """
            DELETE FROM license_requests WHERE token_key = $k AND adam_id = $a AND pricing_param = '' AND target_kind = 0 AND member_key IN
                (SELECT du.user_key FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND mu.client_user_id = $x)
            """, ("$k", tokenKey), ("$a", adamId), ("$x", clientUserId));

    /// <summary>The id of the token the assignment belongs to.</summary>
    public static Guid TokenIdOf(DbConnection c, Guid id) =>
        Guid.Parse((string)c.Scalar(null, "SELECT t.id FROM assignments s JOIN tokens t ON t.key = s.token_key WHERE s.id = $id", ("$id", id.ToString()))!);

    /// <summary>The key of the token the assignment belongs to; null when the assignment is gone.</summary>
    public static long? TokenKeyOf(DbConnection c, DbTransaction t, string id) =>
        c.Scalar(t, "SELECT token_key FROM assignments WHERE id = $id", ("$id", id)) is long tokenKey ? tokenKey : null;

    /// <summary>Reclaiming is what Uninstall does: the assignment becomes one, its seats ending at once if <paramref name="immediately"/>.</summary>
    public static void MarkUninstall(DbConnection c, DbTransaction t, Guid id, bool immediately) =>
        c.Execute(t, "UPDATE assignments SET intent = 'Uninstall', reclaim_immediately = CASE WHEN $now THEN 1 ELSE reclaim_immediately END WHERE id = $id",
            ("$id", id.ToString()), ("$now", immediately));

    public static void Delete(DbConnection c, DbTransaction t, string id) =>
        c.Execute(t, "DELETE FROM assignments WHERE id = $id", ("$id", id));

    /// <summary>The present directory user with this UPN or mail, or null.</summary>
    public static long? DirectoryUserKey(DbConnection c, DbTransaction t, string? userPrincipalNameOrMail) =>
        (long?)c.Scalar(t, "SELECT user_key FROM directory_users WHERE (user_principal_name = $x OR lower(mail) = lower($x)) AND removed_at IS NULL", ("$x", userPrincipalNameOrMail));

    /// <summary>The present directory device with this serial number, or null.</summary>
    public static long? DirectoryDeviceKey(DbConnection c, DbTransaction t, string? serialNumber) =>
        (long?)c.Scalar(t, "SELECT device_key FROM directory_devices WHERE serial_number = $x AND removed_at IS NULL", ("$x", serialNumber));

    /// <summary>Whether a Required or Available assignment of the app covers the member (a user: <paramref name="kind"/> 0; a device: 1).</summary>
    public static bool Covers(DbConnection c, DbTransaction t, AssetRow asset, long memberKey, int kind) =>
        (long)c.Scalar(t, """
            SELECT count(*) FROM assignments s JOIN directory_groups g ON g.group_key = s.group_key JOIN group_members gm ON gm.group_key = s.group_key
            WHERE s.token_key = $k AND s.adam_id = $a AND s.pricing_param = $p AND s.intent IN ('Required', 'Available') AND gm.member_key = $m
              AND ((g.kind = 'User' AND $kind = 0) OR (g.kind = 'Device' AND $kind = 1))
            """, ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$m", memberKey), ("$kind", kind))! > 0;

    /// <summary>A member asks for a license of an app (or the admin grants one, <paramref name="forced"/>).</summary>
    public static void RequestLicense(DbConnection c, DbTransaction t, AssetRow asset, int kind, long memberKey, bool forced, string now) =>
        c.Execute(t, """
            INSERT INTO license_requests (token_key, adam_id, pricing_param, target_kind, member_key, forced, requested_at) VALUES ($k, $a, $p, $kind, $m, $f, $now)
            ON CONFLICT (token_key, adam_id, pricing_param, target_kind, member_key) DO UPDATE SET forced = CASE WHEN license_requests.forced > excluded.forced THEN license_requests.forced ELSE excluded.forced END
            """, ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$kind", kind), ("$m", memberKey), ("$f", forced ? 1 : 0),
            ("$now", now));

    /// <summary>A seat of a subscription given directly to a user, renewing or lapsing at the period end.</summary>
    public static void RequestSeat(DbConnection c, DbTransaction t, long tokenKey, string adamId, long memberKey, string now, bool renewing) =>
        c.Execute(t, """
            INSERT INTO license_requests (token_key, adam_id, pricing_param, target_kind, member_key, forced, requested_at, renewing)
            VALUES ($k, $a, '', 0, $m, 1, $now, $r)
            ON CONFLICT (token_key, adam_id, pricing_param, target_kind, member_key) DO UPDATE SET renewing = excluded.renewing, covers_period_end = NULL
            """, ("$k", tokenKey), ("$a", adamId), ("$m", memberKey), ("$now", now), ("$r", renewing ? 1L : 0L));

    /// <summary>
    /// The licenses of an app Remove-VppAppLicense reclaims: of the users (clientUserId, UPN or mail)
    /// and devices named, a group's members, or all; VppPS's own unless <paramref name="includeUnmanaged"/>.
    /// </summary>
    public static List<(long AssetKey, int TargetKind, string Target)> LicensesToReclaim(DbConnection c, AssetRow asset, string[]? users, string[]? devices, GroupRow? group,
        bool all, bool includeUnmanaged)
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam) };
        if (!all)
        {
            var any = new List<string>();
            for (var i = 0; i < (users?.Length ?? 0); i++)
            {
                any.Add($"(l.target_kind = 0 AND (l.target = $u{i} OR l.target IN (SELECT mu.client_user_id FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND (du.user_principal_name = $u{i} OR lower(du.mail) = lower($u{i})))))");
                parameters.Add(($"$u{i}", users![i]));
            }
            for (var i = 0; i < (devices?.Length ?? 0); i++)
            {
                any.Add($"(l.target_kind = 1 AND l.target = upper($d{i}))");
                parameters.Add(($"$d{i}", devices![i]));
            }
            if (group is not null)
            {
                any.Add(group.Kind == "Device"
                    ? "(l.target_kind = 1 AND l.target IN (SELECT d.serial_number FROM group_members gm JOIN directory_devices d ON d.device_key = gm.member_key WHERE gm.group_key = $g))"
                    : "(l.target_kind = 0 AND l.target IN (SELECT mu.client_user_id FROM group_members gm JOIN directory_users du ON du.user_key = gm.member_key JOIN managed_users mu ON mu.directory_user_id = du.id AND mu.token_key = $k WHERE gm.group_key = $g))");
                parameters.Add(("$g", group.Key));
            }
            where.Add("(" + string.Join(" OR ", any) + ")");
        }
        if (!includeUnmanaged)
            where.Add("EXISTS (SELECT 1 FROM managed_licenses ml WHERE ml.token_key = $k AND ml.adam_id = $a AND ml.pricing_param = $p AND ml.target_kind = l.target_kind AND ml.target = l.target)");
        using var command = c.Command(null, $"""
            SELECT a.asset_key, l.target_kind, l.target FROM licenses l JOIN assets a ON a.asset_key = l.asset_key
            WHERE a.token_key = $k AND a.adam_id = $a AND a.pricing_param = $p {(where.Count > 0 ? "AND " + string.Join(" AND ", where) : "")}
            ORDER BY l.target
            """, parameters.ToArray());
        using var reader = command.ExecuteReader();
        var list = new List<(long, int, string)>();
        while (reader.Read()) list.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2)));
        return list;
    }

    /// <summary>Whoever asked for the license (user or device <paramref name="target"/>) directly no longer does.</summary>
    public static void ForgetLicenseRequest(DbConnection c, DbTransaction t, AssetRow asset, int targetKind, string? target) =>
        c.Execute(t, targetKind == 0
            ? "DELETE FROM license_requests WHERE token_key = $k AND adam_id = $a AND pricing_param = $p AND target_kind = 0 AND member_key IN (SELECT du.user_key FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND mu.client_user_id = $x)"
            : "DELETE FROM license_requests WHERE token_key = $k AND adam_id = $a AND pricing_param = $p AND target_kind = 1 AND member_key IN (SELECT device_key FROM directory_devices WHERE serial_number = $x)",
            ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$x", target));

    /// <summary>The synced apps and books the selector names.</summary>
    public static List<AssetRow> FindAssets(DbConnection c, AssetSelector selector)
    {
        using var command = c.Command(null, """
            SELECT a.token_key, t.id, t.name, a.adam_id, a.pricing_param, a.product_type, m.name, a.device_assignable, a.revocable, a.available_count
            FROM assets a JOIN tokens t ON t.key = a.token_key LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
            WHERE (CAST($id AS TEXT) IS NULL OR a.adam_id = $id) AND (CAST($name AS TEXT) IS NULL OR lower(m.name) = lower(CAST($name AS TEXT)) OR a.adam_id = $name)
              AND (CAST($token AS TEXT) IS NULL OR lower(t.name) = lower(CAST($token AS TEXT))) AND (CAST($tid AS TEXT) IS NULL OR t.id = $tid)
              AND (CAST($p AS TEXT) IS NULL OR a.pricing_param = $p)
            ORDER BY t.name, a.pricing_param
            """, ("$id", selector.AdamId), ("$name", selector.Name), ("$token", selector.Token), ("$tid", selector.TokenId?.ToString()), ("$p", selector.PricingParam));
        using var reader = command.ExecuteReader();
        var list = new List<AssetRow>();
        while (reader.Read())
            list.Add(new AssetRow(reader.GetInt64(0), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetStringOrNull(6), reader.GetInt64(7) != 0, reader.GetInt64(8) != 0, reader.GetInt64(9)));
        return list;
    }

    public static GroupRow? FindGroup(DbConnection c, string name)
    {
        using var command = c.Command(null, "SELECT group_key, name, kind FROM directory_groups WHERE name = $n", ("$n", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new GroupRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>Another Required or Available assignment of the same app to the group (another token or pricing): its token, pricing and intent.</summary>
    public static (string Token, string PricingParam, string Intent)? OtherSource(DbConnection c, DbTransaction t, AssetRow asset, GroupRow group)
    {
        using var command = c.Command(t, """
            SELECT tk.name, s.pricing_param, s.intent FROM assignments s JOIN tokens tk ON tk.key = s.token_key
            WHERE s.adam_id = $a AND s.group_key = $g AND s.intent IN ('Required', 'Available') AND NOT (s.token_key = $k AND s.pricing_param = $p)
            ORDER BY tk.name LIMIT 1
            """, ("$a", asset.AdamId), ("$g", group.Key), ("$k", asset.TokenKey), ("$p", asset.PricingParam));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>
    /// SQL: the seats an assignment of a subscription (alias s) counts as licensed, one row per VPP
    /// user: those VppPS gave for it, and, while it is Required, every seat a member of its group holds
    /// under the VPP user linked to them, whoever gave it (a seat the location gave before VppPS, or
    /// one held through a group in Apple Business / Apple School Manager, as Apple lists it). A seat
    /// being taken back at the period end is not counted.
    /// </summary>
    private const string LicensedSeats = """
        SELECT ms.client_user_id FROM managed_seats ms WHERE ms.assignment_id = s.id AND ms.ending_at IS NULL
        UNION
        SELECT ss.client_user_id FROM subscription_seats ss
        JOIN managed_users mu ON mu.token_key = ss.token_key AND mu.client_user_id = ss.client_user_id AND mu.retired_at IS NULL
        JOIN directory_users u ON u.id = mu.directory_user_id AND u.removed_at IS NULL
        JOIN group_members gm ON gm.group_key = s.group_key AND gm.member_key = u.user_key
        WHERE s.product_type = 'Subscription' AND s.intent = 'Required' AND ss.token_key = s.token_key AND ss.adam_id = s.adam_id
          AND NOT EXISTS (SELECT 1 FROM managed_seats me WHERE me.token_key = ss.token_key AND me.adam_id = ss.adam_id
                          AND me.client_user_id = ss.client_user_id AND me.ending_at IS NOT NULL)
        """;

    public static VppAssignment? Read(DbConnection c, DbTransaction? t, Guid id) => Query(c, t, " WHERE s.id = $id", [("$id", id.ToString())]).FirstOrDefault();

    public static List<VppAssignment> Query(DbConnection c, DbTransaction? t, string where, (string, object?)[] parameters)
    {
        using var command = c.Command(t, $"""
            SELECT s.id, m.name, s.adam_id, s.pricing_param, s.product_type, tk.name, g.name, g.kind, s.intent, s.license_type, s.allow_shortage, s.created_at, s.updated_at,
                   (SELECT count(*) FROM managed_licenses ml WHERE ml.assignment_id = s.id)
                   + (SELECT count(*) FROM ({LicensedSeats}) held),
                   s.renewing, s.covers_period_end, CASE WHEN {SeatPlanner.Lapsed("s")} THEN 1 ELSE 0 END
            FROM assignments s JOIN tokens tk ON tk.key = s.token_key JOIN directory_groups g ON g.group_key = s.group_key
            LEFT JOIN asset_metadata m ON m.adam_id = s.adam_id
            LEFT JOIN subscriptions sb ON s.product_type = 'Subscription' AND sb.token_key = s.token_key AND sb.adam_id = s.adam_id{where}
            ORDER BY lower(coalesce(m.name, s.adam_id)), lower(g.name)
            """, parameters);
        using var reader = command.ExecuteReader();
        var list = new List<VppAssignment>();
        while (reader.Read())
            list.Add(new VppAssignment
            {
                Id = Guid.Parse(reader.GetString(0)),
                App = reader.GetStringOrNull(1),
                AdamId = reader.GetString(2),
                PricingParam = reader.GetString(3),
                ProductType = reader.GetString(4),
                Token = reader.GetString(5),
                Group = reader.GetString(6),
                GroupKind = reader.GetString(7),
                Intent = Enum.Parse<AssignmentIntent>(reader.GetString(8)),
                LicenseType = Enum.Parse<LicenseType>(reader.GetString(9)),
                AllowShortage = reader.GetInt64(10) != 0,
                CreatedDateTime = reader.GetString(11).ToDate(),
                LastModifiedDateTime = reader.GetString(12).ToDate(),
                LicensedCount = reader.GetInt64(13),
                Renewing = reader.GetString(4) == AssignmentService.SubscriptionProductType ? reader.GetInt64(14) != 0 : null,
                CoversPeriodEnd = reader.GetString(4) == AssignmentService.SubscriptionProductType && reader.GetInt64(14) == 0 && reader.GetStringOrNull(15) is { } end
                    ? DateTime.ParseExact(end, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : null,
                Lapsed = reader.GetInt64(16) != 0,
            });
        return list;
    }
    /// <summary>A member's targets at Apple: a device's serial number, or the clientUserIds of the VPP users linked to a user.</summary>
    public static HashSet<string> MemberTargets(DbConnection c, long tokenKey, int kind, long memberKey)
    {
        using var command = c.Command(null, kind == 1
            ? "SELECT serial_number FROM directory_devices WHERE device_key = $m"
            : "SELECT mu.client_user_id FROM managed_users mu JOIN directory_users u ON u.id = mu.directory_user_id WHERE mu.token_key = $k AND u.user_key = $m",
            ("$k", tokenKey), ("$m", memberKey));
        using var reader = command.ExecuteReader();
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read()) set.Add(reader.GetString(0));
        return set;
    }
}
