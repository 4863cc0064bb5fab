using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Inventory;

/// <summary>
/// The assets, skipped_assets, licenses and vpp_users tables' only writer: a sync makes its staged
/// inventory (the temporary stage_* tables of Sync's staging) the token's; an apply patches it with
/// what Apple answered (through the temporary event_changes table of Assignments/ManagedLicenses).
/// Every method works in the caller's transaction.
/// </summary>
internal static class InventoryWriter
{
    // ---- a sync ----

    /// <summary>
    /// Assets as Apple listed them replace the token's (only those that changed are rewritten: every
    /// sync lists all of them); skipped ones are recorded with their reason.
    /// </summary>
    public static void ReplaceAssets(DbConnection c, DbTransaction t, long tokenKey)
    {
        var k = ("$k", (object?)tokenKey);
        c.Execute(t, """
            INSERT INTO assets (token_key, adam_id, pricing_param, product_type, total_count, assigned_count, available_count, retired_count,
                device_assignable, revocable, supported_platforms)
            SELECT $k, adam_id, pricing_param, product_type, total_count, assigned_count, available_count, retired_count, device_assignable, revocable, supported_platforms
            FROM stage_assets WHERE skip_reason IS NULL
            ON CONFLICT (token_key, adam_id, pricing_param) DO UPDATE SET
                product_type = excluded.product_type, total_count = excluded.total_count, assigned_count = excluded.assigned_count,
                available_count = excluded.available_count, retired_count = excluded.retired_count, device_assignable = excluded.device_assignable,
                revocable = excluded.revocable, supported_platforms = excluded.supported_platforms
            WHERE assets.product_type IS DISTINCT FROM excluded.product_type OR assets.total_count IS DISTINCT FROM excluded.total_count
               OR assets.assigned_count IS DISTINCT FROM excluded.assigned_count OR assets.available_count IS DISTINCT FROM excluded.available_count
               OR assets.retired_count IS DISTINCT FROM excluded.retired_count OR assets.device_assignable IS DISTINCT FROM excluded.device_assignable
               OR assets.revocable IS DISTINCT FROM excluded.revocable OR assets.supported_platforms IS DISTINCT FROM excluded.supported_platforms
            """, k);
        // Assets Apple no longer lists, or that are now skipped, go (with their licenses, by cascade).
        c.Execute(t, """
            DELETE FROM assets WHERE token_key = $k AND NOT EXISTS (
                SELECT 1 FROM stage_assets s WHERE s.adam_id = assets.adam_id AND s.pricing_param = assets.pricing_param AND s.skip_reason IS NULL)
            """, k);
        c.Execute(t, "DELETE FROM skipped_assets WHERE token_key = $k", k);
        c.Execute(t, "INSERT INTO skipped_assets SELECT $k, adam_id, pricing_param, skip_reason FROM stage_assets WHERE skip_reason IS NOT NULL ON CONFLICT DO NOTHING", k);
    }

    /// <summary>A full sync replaces the token's licenses and VPP users: the old ones go first.</summary>
    public static void ClearLicensesAndUsers(DbConnection c, DbTransaction t, long tokenKey)
    {
        c.Execute(t, "DELETE FROM licenses WHERE asset_key IN (SELECT asset_key FROM assets WHERE token_key = $k)", ("$k", tokenKey));
        c.Execute(t, "DELETE FROM vpp_users WHERE token_key = $k", ("$k", tokenKey));
    }

    /// <summary>SQLite: the staged licenses and users (stage_licenses through asset_map, stage_users) become the token's.</summary>
    public static void AddStagedSqlite(DbConnection c, DbTransaction t, long tokenKey)
    {
        var k = ("$k", (object?)tokenKey);
        c.Execute(t, """
            INSERT OR IGNORE INTO licenses (asset_key, target_kind, target)
            SELECT m.asset_key, s.target_kind, s.target FROM stage_licenses s JOIN asset_map m ON m.asset_index = s.asset_index
            """, k);
        // Several records may share a clientUserId (retired ones and at most one active): the active one wins.
        c.Execute(t, """
            INSERT OR REPLACE INTO vpp_users (token_key, client_user_id, email, status, invite_code, id_hash)
            SELECT $k, client_user_id, email, status, invite_code, id_hash FROM stage_users
            ORDER BY client_user_id, CASE WHEN status IN ('Retired', 'Deleted') THEN 0 ELSE 1 END, rowid
            """, k);
    }

    /// <summary>PostgreSQL: the staged licenses and users (stage_licenses through asset_map, stage_users) become the token's.</summary>
    public static void AddStagedPostgres(DbConnection c, DbTransaction t, long tokenKey, bool full)
    {
        var k = ("$k", (object?)tokenKey);
        // In the primary key's order: the index grows at its right edge instead of at a million random
        // places (a third less time for a full sync's million licenses, and less WAL). A full sync has
        // just cleared the token's licenses, so its rows can only collide with each other: DISTINCT
        // drops those in the same sort, and the insert skips ON CONFLICT's second index probe per row.
        c.Execute(t, $"""
            INSERT INTO licenses (asset_key, target_kind, target)
            SELECT {(full ? "DISTINCT " : "")}m.asset_key, s.target_kind, s.target FROM stage_licenses s JOIN asset_map m ON m.asset_index = s.asset_index
            ORDER BY m.asset_key, s.target_kind, s.target
            {(full ? "" : "ON CONFLICT DO NOTHING")}
            """, k);
        // Several records may share a clientUserId (retired ones and at most one active): the active one wins.
        // A full sync has just cleared the token's users: nothing there to update.
        var updateHeld = full ? "" : """
            ON CONFLICT (token_key, client_user_id) DO UPDATE SET email = excluded.email, status = excluded.status,
                invite_code = excluded.invite_code, id_hash = excluded.id_hash
            """;
        c.Execute(t, $"""
            INSERT INTO vpp_users (token_key, client_user_id, email, status, invite_code, id_hash)
            SELECT DISTINCT ON (client_user_id) $k, client_user_id, email, status, invite_code, id_hash FROM stage_users
            ORDER BY client_user_id, CASE WHEN status IN ('Retired', 'Deleted') THEN 0 ELSE 1 END DESC, row_number DESC
            {updateHeld}
            """, k);
    }

    // ---- an apply ----

    /// <summary>The licenses of event_changes, with their asset's key.</summary>
    private const string Changed = """
        SELECT a.asset_key, e.target_kind, e.target, e.adam_id, e.pricing_param FROM event_changes e
        JOIN assets a ON a.token_key = $k AND a.adam_id = e.adam_id AND a.pricing_param = e.pricing_param
        """;

    /// <summary>The licenses of event_changes were associated: counts first (only licenses Apple did not already hold change them), then the licenses.</summary>
    public static void EventAssociated(DbConnection c, DbTransaction t, long tokenKey)
    {
        var k = ("$k", (object?)tokenKey);
        c.Execute(t, $"""
            UPDATE assets SET assigned_count = assigned_count + x.n, available_count = available_count - x.n
            FROM (SELECT c.asset_key AS asset_key, count(*) AS n FROM ({Changed}) c
                  WHERE NOT EXISTS (SELECT 1 FROM licenses l WHERE l.asset_key = c.asset_key AND l.target_kind = c.target_kind AND l.target = c.target)
                  GROUP BY c.asset_key) x
            WHERE assets.asset_key = x.asset_key
            """, k);
        c.Execute(t, $"INSERT INTO licenses (asset_key, target_kind, target) SELECT asset_key, target_kind, target FROM ({Changed}) x WHERE true ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING", k);
    }

    /// <summary>The licenses of event_changes were disassociated: counts first, then the licenses.</summary>
    public static void EventDisassociated(DbConnection c, DbTransaction t, long tokenKey)
    {
        var k = ("$k", (object?)tokenKey);
        c.Execute(t, $"""
            UPDATE assets SET assigned_count = assigned_count - x.n, available_count = available_count + x.n
            FROM (SELECT c.asset_key AS asset_key, count(*) AS n FROM ({Changed}) c
                  WHERE EXISTS (SELECT 1 FROM licenses l WHERE l.asset_key = c.asset_key AND l.target_kind = c.target_kind AND l.target = c.target)
                  GROUP BY c.asset_key) x
            WHERE assets.asset_key = x.asset_key
            """, k);
        c.Execute(t, $"DELETE FROM licenses WHERE (asset_key, target_kind, target) IN (SELECT asset_key, target_kind, target FROM ({Changed}) x)", k);
    }

    /// <summary>An asset's counts as Apple gives them now.</summary>
    public static void SetCounts(DbConnection c, DbTransaction t, long tokenKey, Apple.Wire.ResponseAsset asset) =>
        c.Execute(t, """
            UPDATE assets SET total_count = $total, assigned_count = $assigned, available_count = $available, retired_count = $retired
            WHERE token_key = $k AND adam_id = $a AND pricing_param = $p
            """, ("$total", asset.TotalCount), ("$assigned", asset.AssignedCount), ("$available", asset.AvailableCount), ("$retired", asset.RetiredCount),
            ("$k", tokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam ?? "STDQ"));

    /// <summary>A VPP user read or created replaces what the state held for that clientUserId.</summary>
    public static void SaveVppUser(DbConnection c, DbTransaction t, long tokenKey, string clientUserId, string? email, string? status, string? inviteCode, string? idHash) =>
        c.Execute(t, "INSERT INTO vpp_users (token_key, client_user_id, email, status, invite_code, id_hash) VALUES ($k, $c, $e, $s, $i, $h) " +
            "ON CONFLICT (token_key, client_user_id) DO UPDATE SET email = excluded.email, status = excluded.status, invite_code = excluded.invite_code, id_hash = excluded.id_hash",
            ("$k", tokenKey), ("$c", clientUserId), ("$e", email), ("$s", status), ("$i", inviteCode), ("$h", idHash));

    /// <summary>A VPP user Apple retired ($k token, $c clientUserId).</summary>
    public static void VppUserRetired(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, "UPDATE vpp_users SET status = 'Retired' WHERE token_key = $k AND client_user_id = $c", user);

    /// <summary>A retired user's revocable licenses are free again; books stay (irrevocable).</summary>
    public static void ReleaseRevocableLicenses(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, "DELETE FROM licenses WHERE target_kind = 0 AND target = $c AND asset_key IN (SELECT asset_key FROM assets WHERE token_key = $k AND revocable = 1)", user);
    /// <summary>The licenses a VPP user Apple no longer knows held ($k token, $c clientUserId): Apple holds none for it.</summary>
    public static void ForgetUserLicenses(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, "DELETE FROM licenses WHERE target_kind = 0 AND target = $c AND asset_key IN (SELECT asset_key FROM assets WHERE token_key = $k)", user);

    /// <summary>Removes a VPP user Apple no longer knows ($k token, $c clientUserId), so it is not adopted again by its address.</summary>
    public static void ForgetVppUser(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, "DELETE FROM vpp_users WHERE token_key = $k AND client_user_id = $c", user);
}
