using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Sync;

/// <summary>
/// The PostgreSQL side of <see cref="IInventoryStaging"/>: what a sync reads is held in temporary
/// tables of its own connection, filled with binary COPY while pages arrive, so that the shared
/// state is neither locked nor changed during the download; <see cref="Apply"/> then makes it
/// visible in one transaction. A sync that fails or is killed leaves the previous state as it was.
/// </summary>
internal sealed class PostgresInventoryStaging : IInventoryStaging
{
    private readonly NpgsqlConnection _connection;
    private readonly Func<NpgsqlConnection, NpgsqlTransaction> _beginWrite;
    private NpgsqlBinaryImporter? _licenses;
    private NpgsqlBinaryImporter? _users;
    private long _userRow;
    private readonly Dictionary<(string AdamId, string PricingParam), long> _assetIndex = [];

    public PostgresInventoryStaging(NpgsqlConnection connection, Func<NpgsqlConnection, NpgsqlTransaction> beginWrite)
    {
        _connection = connection;
        _beginWrite = beginWrite;
        _connection.Execute(null, """
            CREATE TEMP TABLE IF NOT EXISTS stage_assets (asset_index bigint, adam_id text, pricing_param text, product_type text, total_count bigint, assigned_count bigint,
                available_count bigint, retired_count bigint, device_assignable bigint, revocable bigint, supported_platforms text, skip_reason text);
            CREATE TEMP TABLE IF NOT EXISTS stage_licenses (asset_index bigint, target_kind bigint, target text COLLATE "C");
            CREATE TEMP TABLE IF NOT EXISTS stage_users (row_number bigint, client_user_id text, email text, status text, invite_code text, id_hash text);
            TRUNCATE stage_assets, stage_licenses, stage_users;
            """);
    }

    public long Assignments { get; private set; }
    public long Users { get; private set; }

    public void AddAssets(IEnumerable<ResponseAsset> assets, IReadOnlyDictionary<string, string> skipReasons)
    {
        using var import = _connection.BeginBinaryImport("COPY stage_assets FROM STDIN (FORMAT BINARY)");
        foreach (var asset in assets)
        {
            var key = (asset.AdamId, asset.PricingParam ?? InventoryStaging.UnknownPricing);
            if (_assetIndex.ContainsKey(key)) continue;
            _assetIndex[key] = _assetIndex.Count + 1;
            import.StartRow();
            import.Write((long)_assetIndex.Count, NpgsqlDbType.Bigint);
            import.Write(key.AdamId, NpgsqlDbType.Text);
            import.Write(key.Item2, NpgsqlDbType.Text);
            import.Write(asset.ProductType ?? "App", NpgsqlDbType.Text);
            import.Write((long)asset.TotalCount, NpgsqlDbType.Bigint);
            import.Write((long)asset.AssignedCount, NpgsqlDbType.Bigint);
            import.Write((long)asset.AvailableCount, NpgsqlDbType.Bigint);
            import.Write((long)asset.RetiredCount, NpgsqlDbType.Bigint);
            import.Write(asset.DeviceAssignable ? 1L : 0L, NpgsqlDbType.Bigint);
            import.Write(asset.Revocable ? 1L : 0L, NpgsqlDbType.Bigint);
            WriteText(import, asset.SupportedPlatforms is { Count: > 0 } platforms ? string.Join(",", platforms) : null);
            WriteText(import, skipReasons.TryGetValue(asset.AdamId, out var reason) ? reason : null);
        }
        import.Complete();
    }

    public void AddAssignments(IReadOnlyList<Assignment> page)
    {
        if (_users is not null) FinishImports();
        var import = _licenses ??= _connection.BeginBinaryImport("COPY stage_licenses FROM STDIN (FORMAT BINARY)");
        foreach (var assignment in page)
        {
            var target = assignment.ClientUserId ?? assignment.SerialNumber;
            // An assignment of an asset Apple did not list (changed meanwhile) waits for the next sync.
            if (target is null || !_assetIndex.TryGetValue((assignment.AdamId, assignment.PricingParam ?? InventoryStaging.UnknownPricing), out var index)) continue;
            import.StartRow();
            import.Write(index, NpgsqlDbType.Bigint);
            import.Write(assignment.ClientUserId is null ? 1L : 0L, NpgsqlDbType.Bigint);
            import.Write(target, NpgsqlDbType.Text);
        }
        Assignments += page.Count;
    }

    public void AddUsers(IReadOnlyList<ResponseUser> page)
    {
        // One COPY at a time on a connection: the licenses' ends when the users' begins.
        if (_licenses is not null) FinishImports();
        var import = _users ??= _connection.BeginBinaryImport("COPY stage_users FROM STDIN (FORMAT BINARY)");
        foreach (var user in page)
        {
            import.StartRow();
            import.Write(++_userRow, NpgsqlDbType.Bigint);
            WriteText(import, user.ClientUserId);
            WriteText(import, user.Email);
            WriteText(import, user.Status ?? "Registered");
            WriteText(import, user.InviteCode);
            WriteText(import, user.IdHash);
        }
        Users += page.Count;
    }

    public void RestartAssignments()
    {
        FinishImports();
        _connection.Execute(null, "TRUNCATE stage_licenses");
        Assignments = 0;
    }

    public void RestartUsers()
    {
        FinishImports();
        _connection.Execute(null, "TRUNCATE stage_users");
        Users = 0;
    }

    /// <summary>The same outcome as <see cref="InventoryStaging.Apply"/>, in PostgreSQL's terms.</summary>
    public SyncCounts Apply(long tokenKey, bool full, Action<DbConnection, DbTransaction, SyncCounts> alsoInTransaction)
    {
        FinishImports();
        using var transaction = _beginWrite(_connection);
        var c = _connection;
        var k = ("$k", (object?)tokenKey);
        // A full sync sorts a million staged licenses (about 100 MB): in the server's memory, for this
        // transaction only, instead of through temporary files at the default 4 MB.
        c.Execute(transaction, "SET LOCAL work_mem = '256MB'; ANALYZE stage_licenses; ANALYZE stage_assets");
        StagedInventory.ReplaceAssets(c, transaction, tokenKey);
        c.Execute(transaction, """
            CREATE TEMP TABLE IF NOT EXISTS asset_map (asset_index bigint PRIMARY KEY, asset_key bigint NOT NULL);
            TRUNCATE asset_map;
            INSERT INTO asset_map SELECT s.asset_index, a.asset_key FROM stage_assets s
            JOIN assets a ON a.token_key = $k AND a.adam_id = s.adam_id AND a.pricing_param = s.pricing_param;
            """, k);
        if (full) StagedInventory.ClearLicensesAndUsers(c, transaction, tokenKey);
        Inventory.InventoryWriter.AddStagedPostgres(c, transaction, tokenKey, full);
        var counts = StagedInventory.Counts(c, transaction, tokenKey, Assignments, Users);
        alsoInTransaction(c, transaction, counts);
        transaction.Commit();
        return counts;
    }

    private static void WriteText(NpgsqlBinaryImporter import, string? value)
    {
        if (value is null) import.WriteNull();
        else import.Write(value, NpgsqlDbType.Text);
    }

    private void FinishImports()
    {
        _licenses?.Complete();
        _licenses?.Dispose();
        _licenses = null;
        _users?.Complete();
        _users?.Dispose();
        _users = null;
    }

    public void Dispose()
    {
        try
        {
            _licenses?.Dispose();
            _users?.Dispose();
            _connection.Execute(null, "DROP TABLE IF EXISTS stage_assets, stage_licenses, stage_users, asset_map");
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { }
        _connection.Dispose();
    }
}
