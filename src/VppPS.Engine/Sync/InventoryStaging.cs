using Microsoft.Data.Sqlite;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Sync;

/// <summary>
/// Holds what a sync reads from Apple in temporary tables (in memory, private to one
/// connection) while pages arrive, so that the state database is neither locked nor changed
/// during the download; <see cref="Apply"/> then makes it visible in one short transaction.
/// A sync that fails or is killed leaves the previous state exactly as it was.
/// </summary>
internal sealed class InventoryStaging : IInventoryStaging
{
    public const string UnknownPricing = "STDQ";
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _batch;
    // Staging writes up to a million rows per sync: straight through SQLite's API (see RawStatement).
    private RawStatement? _insertLicense;
    private RawStatement? _insertUser;

    public InventoryStaging(StateStore store)
    {
        _connection = store.OpenSqliteConnection();
        _connection.Execute(null, """
            PRAGMA temp_store = FILE; -- the staged rows (a million licenses) in SQLite's temporary file, deleted when closed, with 16 MiB of them in memory
            PRAGMA temp.cache_size = -16384;
            PRAGMA cache_size = -8192; -- 8 MiB for the state database: licenses are copied in key order; SQLite writes changed pages beyond it to the WAL before the commit
            CREATE TEMP TABLE IF NOT EXISTS stage_assets (adam_id TEXT, pricing_param TEXT, product_type TEXT, total_count INTEGER, assigned_count INTEGER,
                available_count INTEGER, retired_count INTEGER, device_assignable INTEGER, revocable INTEGER, supported_platforms TEXT, skip_reason TEXT);
            CREATE TEMP TABLE IF NOT EXISTS stage_licenses (asset_index INTEGER, target_kind INTEGER, target TEXT,
                PRIMARY KEY (asset_index, target_kind, target)) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS stage_users (client_user_id TEXT, email TEXT, status TEXT, invite_code TEXT, id_hash TEXT);
            DELETE FROM stage_assets; DELETE FROM stage_licenses; DELETE FROM stage_users;
            """);
    }

    // Assets as Apple listed them, by (adamId, pricingParam): licenses are staged with the small
    // index instead of two strings, which keeps staging and the final copy cheap.
    private readonly Dictionary<(string AdamId, string PricingParam), long> _assetIndex = [];

    public long Assignments { get; private set; }
    public long Users { get; private set; }

    public void AddAssets(IEnumerable<ResponseAsset> assets, IReadOnlyDictionary<string, string> skipReasons)
    {
        using var transaction = _connection.BeginTransaction(deferred: true);
        var (insert, p) = _connection.Prepared(transaction,
            "INSERT INTO stage_assets VALUES ($adam, $pricing, $type, $total, $assigned, $available, $retired, $device, $revocable, $platforms, $skip) RETURNING rowid",
            "$adam", "$pricing", "$type", "$total", "$assigned", "$available", "$retired", "$device", "$revocable", "$platforms", "$skip");
        using var disposeInsert = insert;
        foreach (var asset in assets)
        {
            p[0].Value = asset.AdamId;
            p[1].Value = asset.PricingParam ?? UnknownPricing;
            p[2].Value = asset.ProductType ?? "App";
            p[3].Value = asset.TotalCount;
            p[4].Value = asset.AssignedCount;
            p[5].Value = asset.AvailableCount;
            p[6].Value = asset.RetiredCount;
            p[7].Value = asset.DeviceAssignable ? 1 : 0;
            p[8].Value = asset.Revocable ? 1 : 0;
            p[9].Value = asset.SupportedPlatforms is { Count: > 0 } platforms ? string.Join(",", platforms) : DBNull.Value;
            p[10].Value = skipReasons.TryGetValue(asset.AdamId, out var reason) ? reason : DBNull.Value;
            var rowId = Convert.ToInt64(insert.ExecuteScalar());
            _assetIndex.TryAdd((asset.AdamId, asset.PricingParam ?? UnknownPricing), rowId);
        }
        transaction.Commit();
    }

    public void AddAssignments(IReadOnlyList<Assignment> page)
    {
        _batch ??= _connection.BeginTransaction(deferred: true); // temp tables only: the state database stays unlocked
        var insert = _insertLicense ??= new RawStatement(_connection, "INSERT OR IGNORE INTO stage_licenses VALUES (?1, ?2, ?3)");
        foreach (var assignment in page)
        {
            var isDevice = assignment.ClientUserId is null;
            var target = assignment.ClientUserId ?? assignment.SerialNumber;
            // An assignment of an asset Apple did not list (changed meanwhile) waits for the next sync.
            if (target is null || !_assetIndex.TryGetValue((assignment.AdamId, assignment.PricingParam ?? UnknownPricing), out var index)) continue;
            insert.Bind(1, index);
            insert.Bind(2, isDevice ? 1 : 0);
            insert.Bind(3, target);
            insert.Execute();
        }
        Assignments += page.Count;
    }

    public void AddUsers(IReadOnlyList<ResponseUser> page)
    {
        _batch ??= _connection.BeginTransaction(deferred: true); // temp tables only: the state database stays unlocked
        var insert = _insertUser ??= new RawStatement(_connection, "INSERT INTO stage_users VALUES (?1, ?2, ?3, ?4, ?5)");
        foreach (var user in page)
        {
            insert.Bind(1, user.ClientUserId);
            insert.Bind(2, user.Email);
            insert.Bind(3, user.Status ?? "Registered");
            insert.Bind(4, user.InviteCode);
            insert.Bind(5, user.IdHash);
            insert.Execute();
        }
        Users += page.Count;
    }

    /// <summary>Forgets the assignments read so far (the versionId changed mid-traversal: it starts again).</summary>
    public void RestartAssignments()
    {
        _connection.Execute(_batch, "DELETE FROM stage_licenses");
        Assignments = 0;
    }

    public void RestartUsers()
    {
        _connection.Execute(_batch, "DELETE FROM stage_users");
        Users = 0;
    }

    /// <summary>
    /// Makes the staged inventory the token's, in one transaction on the state database.
    /// Full: replaces assets, licenses and users. Incremental: replaces assets (Apple has no
    /// delta for them), adds the licenses and upserts the users read since the last version.
    /// </summary>
    public SyncCounts Apply(long tokenKey, bool full, Action<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, SyncCounts> alsoInTransaction)
    {
        FinishBatch();
        using var transaction = _connection.BeginTransaction(deferred: false);
        var c = _connection;
        var k = ("$k", (object?)tokenKey);

        StagedInventory.ReplaceAssets(c, transaction, tokenKey);

        c.Execute(transaction, """
            CREATE TEMP TABLE IF NOT EXISTS asset_map (asset_index INTEGER PRIMARY KEY, asset_key INTEGER NOT NULL);
            DELETE FROM asset_map;
            INSERT INTO asset_map SELECT s.rowid, a.asset_key FROM stage_assets s
            JOIN assets a ON a.token_key = $k AND a.adam_id = s.adam_id AND a.pricing_param = s.pricing_param;
            """, k);
        if (full) StagedInventory.ClearLicensesAndUsers(c, transaction, tokenKey);
        Inventory.InventoryWriter.AddStagedSqlite(c, transaction, tokenKey);

        var counts = StagedInventory.Counts(c, transaction, tokenKey, Assignments, Users);
        alsoInTransaction(c, transaction, counts);
        transaction.Commit();
        return counts;
    }

    private void FinishBatch()
    {
        _insertLicense?.Dispose();
        _insertLicense = null;
        _insertUser?.Dispose();
        _insertUser = null;
        _batch?.Commit();
        _batch?.Dispose();
        _batch = null;
    }

    public void Dispose()
    {
        _insertLicense?.Dispose();
        _insertUser?.Dispose();
        _batch?.Dispose();
        try { _connection.Execute(null, "DROP TABLE IF EXISTS temp.stage_assets; DROP TABLE IF EXISTS temp.stage_licenses; DROP TABLE IF EXISTS temp.stage_users; DROP TABLE IF EXISTS temp.asset_map;"); }
        catch (SqliteException) { }
        _connection.Dispose();
    }
}
