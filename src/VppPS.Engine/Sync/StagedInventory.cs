using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Sync;

/// <summary>
/// The steps of making a staged inventory the token's that both backends' staging share, in
/// portable SQL over the temporary stage_assets table each of them fills.
/// </summary>
internal static class StagedInventory
{
    /// <summary>The staging of the store's backend, empty.</summary>
    public static IInventoryStaging Open(StateStore store) => store.Kind == StoreKind.Sqlite
        ? new InventoryStaging(store)
        : new PostgresInventoryStaging(store.OpenPostgresConnection(), store.BeginPostgresWrite);

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

    public static SyncCounts Counts(DbConnection c, DbTransaction t, long tokenKey, long assignments, long users)
    {
        var k = ("$k", (object?)tokenKey);
        return new SyncCounts(
            Apps: (int)c.Long(t, "SELECT count(*) FROM assets WHERE token_key = $k AND product_type <> 'Book'", k),
            Books: (int)c.Long(t, "SELECT count(*) FROM assets WHERE token_key = $k AND product_type = 'Book'", k),
            Assignments: assignments,
            Users: users,
            Skipped: (int)c.Long(t, "SELECT count(*) FROM skipped_assets WHERE token_key = $k", k));
    }
}
