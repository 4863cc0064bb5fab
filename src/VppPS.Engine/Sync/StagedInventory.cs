using System.Data.Common;
using VppPS.Engine.Inventory;
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

    /// <summary>Assets as Apple listed them replace the token's; skipped ones are recorded with their reason.</summary>
    public static void ReplaceAssets(DbConnection c, DbTransaction t, long tokenKey) => InventoryWriter.ReplaceAssets(c, t, tokenKey);

    /// <summary>A full sync replaces the token's licenses and VPP users: the old ones go first.</summary>
    public static void ClearLicensesAndUsers(DbConnection c, DbTransaction t, long tokenKey) => InventoryWriter.ClearLicensesAndUsers(c, t, tokenKey);

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
