using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Assignments;

/// <summary>
/// The first pass of a full plan: which targets can differ between what the assignments want
/// and what Apple holds. Checking every wanted (app, member) row against the licenses one by
/// one costs a lookup each, seconds for 50 apps x 100,000 members; instead, each group's
/// targets are read once, sorted, and walked side by side with each asset's held licenses,
/// which SQLite keeps in the same order. What differs (wanted and not held; held, given by
/// VppPS and not wanted by any Required assignment) and every target of a request (Available,
/// direct) goes into changed_targets; the plan then decides exactly for those only, as it
/// does for members who joined or left. The comparison errs only on the side of looking at
/// more: a target it does not name needs no change.
/// </summary>
internal static class DifferingTargets
{
    private const int UserKind = 0, DeviceKind = 1;

    /// <returns>
    /// False, and the tables left incomplete, as soon as more than <paramref name="limit"/> targets
    /// differ (a first plan): then looking at every member is quicker than looking them up.
    /// </returns>
    public static bool Collect(DbConnection c, DbTransaction? t, long tokenKey, long limit)
    {
        // The walk relies on SQLite's raw API and byte order; on PostgreSQL a full plan looks at every member.
        if (c.IsPostgres()) return false;
        var k = ("$k", (object?)tokenKey);
        // What each Required assignment wants, per (group, licensing): targets sorted as SQLite sorts text (bytes).
        var wantedByGroup = new Dictionary<(long Group, string Licensing), WantedTargets>();
        var assets = new Dictionary<long, AssetToCompare>();
        using (var command = c.Command(t, """
            SELECT a.asset_key, a.adam_id, a.pricing_param, a.revocable, s.intent, s.license_type, s.group_key, g.kind
            FROM assignments s
            JOIN assets a ON a.token_key = s.token_key AND a.adam_id = s.adam_id AND a.pricing_param = s.pricing_param
            JOIN directory_groups g ON g.group_key = s.group_key
            WHERE s.token_key = $k
            """, k))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                var assetKey = reader.GetInt64(0);
                if (!assets.TryGetValue(assetKey, out var asset))
                    assets[assetKey] = asset = new AssetToCompare(reader.GetString(1), reader.GetString(2), reader.GetInt64(3) == 1);
                if (reader.GetString(4) != "Required") continue; // Available and Uninstall want nobody by themselves
                var licensing = reader.GetString(5);
                var groupKind = reader.GetString(7);
                if (licensing == "User" && groupKind != "User") continue; // user licensing wants users of user groups only
                var group = (reader.GetInt64(6), licensing == "Device" ? groupKind + "Device" : "User");
                if (!wantedByGroup.TryGetValue(group, out var wanted))
                    wantedByGroup[group] = wanted = ReadWanted(c, tokenKey, group.Item1, group.Item2);
                (licensing == "Device" ? asset.Devices : asset.Users).Add(wanted);
            }

        c.Execute(t, "INSERT INTO changed_users SELECT member_key FROM license_requests WHERE token_key = $k AND target_kind = 0 ON CONFLICT DO NOTHING", k);
        c.Execute(t, "INSERT INTO changed_devices SELECT member_key FROM license_requests WHERE token_key = $k AND target_kind = 1 ON CONFLICT DO NOTHING", k);
        if (wantedByGroup.Values.Sum(w => (long)w.WithoutVppUser.Count) > limit) return false;
        using (var withoutVppUser = new RawStatement(c, "INSERT OR IGNORE INTO changed_users VALUES (?1)"))
            foreach (var userKey in wantedByGroup.Values.SelectMany(w => w.WithoutVppUser))
            {
                withoutVppUser.Bind(1, userKey);
                withoutVppUser.Execute();
            }

        using var held = new RawStatement(c, "SELECT target FROM licenses WHERE asset_key = ?1 AND target_kind = ?2 ORDER BY target");
        using var managed = new RawStatement(c, """
            SELECT target FROM managed_licenses
            WHERE token_key = ?1 AND adam_id = ?2 AND pricing_param = ?3 AND target_kind = ?4 AND assignment_id IS NOT NULL ORDER BY target
            """);
        using var differs = new Marker(c, limit);
        foreach (var (assetKey, asset) in assets)
            foreach (var kind in (ReadOnlySpan<int>)[UserKind, DeviceKind])
            {
                var wanted = Union(kind == UserKind ? asset.Users : asset.Devices);
                var notWanted = new List<byte[]>();
                held.Bind(1, assetKey);
                held.Bind(2, kind);
                var next = 0;
                while (held.Read())
                {
                    var target = held.Utf8(0);
                    next = MarkMissingBefore(wanted, next, target, kind, differs);
                    if (differs.TooMany) return false;
                    if (next < wanted.Count && wanted[next].AsSpan().SequenceEqual(target)) next++;
                    else if (asset.Revocable) notWanted.Add(target.ToArray());
                }
                MarkRest(wanted, next, kind, differs);
                if (differs.TooMany) return false;
                if (notWanted.Count == 0) continue;
                // Held and not wanted: a change only where VppPS gave the license for an assignment.
                managed.Bind(1, tokenKey);
                managed.Bind(2, asset.AdamId);
                managed.Bind(3, asset.PricingParam);
                managed.Bind(4, kind);
                var candidate = 0;
                while (managed.Read() && candidate < notWanted.Count)
                {
                    var target = managed.Utf8(0);
                    while (candidate < notWanted.Count && notWanted[candidate].AsSpan().SequenceCompareTo(target) < 0) candidate++;
                    if (candidate < notWanted.Count && notWanted[candidate].AsSpan().SequenceEqual(target))
                        differs.Mark(kind, notWanted[candidate++]);
                }
                managed.Reset();
                if (differs.TooMany) return false;
            }
        return true;
    }

    /// <summary>Marks the wanted targets from <paramref name="next"/> on that sort before <paramref name="held"/>: not held.</summary>
    private static int MarkMissingBefore(List<byte[]> wanted, int next, ReadOnlySpan<byte> held, int kind, Marker differs)
    {
        while (next < wanted.Count && wanted[next].AsSpan().SequenceCompareTo(held) < 0)
            differs.Mark(kind, wanted[next++]);
        return next;
    }

    private static void MarkRest(List<byte[]> wanted, int next, int kind, Marker differs)
    {
        while (next < wanted.Count) differs.Mark(kind, wanted[next++]);
    }

    /// <summary>Writes the differing targets into changed_targets, counting the new ones.</summary>
    private sealed class Marker(DbConnection c, long limit) : IDisposable
    {
        private readonly RawStatement _insert = new(c, "INSERT OR IGNORE INTO changed_targets VALUES (?1, ?2)");
        private long _count;

        public bool TooMany => _count > limit;

        public void Mark(int kind, byte[] target)
        {
            _insert.Bind(1, kind);
            _insert.Bind(2, System.Text.Encoding.UTF8.GetString(target));
            _count += _insert.Execute();
        }

        public void Dispose() => _insert.Dispose();
    }

    /// <summary>The sorted union, without duplicates, of the targets several assignments of one asset want.</summary>
    private static List<byte[]> Union(List<WantedTargets> lists)
    {
        if (lists.Count == 0) return [];
        if (lists.Count == 1) return lists[0].Targets;
        var all = lists.SelectMany(l => l.Targets).ToList();
        all.Sort((x, y) => x.AsSpan().SequenceCompareTo(y));
        var union = new List<byte[]>(all.Count);
        foreach (var target in all)
            if (union.Count == 0 || !union[^1].AsSpan().SequenceEqual(target)) union.Add(target);
        return union;
    }

    /// <param name="wanting">DeviceDevice: the group's devices; UserDevice: the devices its members own; User: its members' VPP users.</param>
    private static WantedTargets ReadWanted(DbConnection c, long tokenKey, long groupKey, string wanting)
    {
        var sql = wanting switch
        {
            "DeviceDevice" => """
                SELECT DISTINCT d.serial_number, NULL FROM group_members gm
                JOIN directory_devices d ON d.device_key = gm.member_key AND d.removed_at IS NULL
                WHERE gm.group_key = ?1 ORDER BY d.serial_number COLLATE BINARY
                """,
            "UserDevice" => """
                SELECT DISTINCT d.serial_number, NULL FROM group_members gm
                JOIN directory_users u ON u.user_key = gm.member_key AND u.removed_at IS NULL
                JOIN directory_devices d ON d.owner_upn = u.user_principal_name AND d.removed_at IS NULL
                WHERE gm.group_key = ?1 ORDER BY d.serial_number COLLATE BINARY
                """,
            _ => """
                SELECT DISTINCT mu.client_user_id, u.user_key FROM group_members gm
                JOIN directory_users u ON u.user_key = gm.member_key AND u.removed_at IS NULL
                LEFT JOIN managed_users mu ON mu.token_key = ?2 AND mu.directory_user_id = u.id AND mu.retired_at IS NULL
                WHERE gm.group_key = ?1 ORDER BY 1
                """,
        };
        using var statement = new RawStatement(c, sql);
        statement.Bind(1, groupKey);
        if (wanting == "User") statement.Bind(2, tokenKey);
        var wanted = new WantedTargets();
        while (statement.Read())
            if (statement.IsNull(0)) wanted.WithoutVppUser.Add(statement.Int64(1)); // a VPP user to create first: always a change
            else wanted.Targets.Add(statement.Utf8(0).ToArray());
        return wanted;
    }

    private sealed class WantedTargets
    {
        public List<byte[]> Targets { get; } = [];
        public List<long> WithoutVppUser { get; } = [];
    }

    private sealed record AssetToCompare(string AdamId, string PricingParam, bool Revocable)
    {
        public List<WantedTargets> Devices { get; } = [];
        public List<WantedTargets> Users { get; } = [];
    }
}
