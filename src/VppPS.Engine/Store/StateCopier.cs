using System.Data.Common;
using System.Text;
using VppPS.Engine.Security;

namespace VppPS.Engine.Store;

/// <summary>How many rows of one table a copy moves.</summary>
public sealed record TableRows(string Table, long Rows);

/// <summary>What Copy-VppState did, or would do (-WhatIf): the stores, the rows per table, and the identity the destination now has.</summary>
public sealed class StateCopyResult
{
    public required string Source { get; init; }
    public required string Destination { get; init; }
    public required IReadOnlyList<TableRows> Tables { get; init; }
    public long Rows => Tables.Sum(t => t.Rows);
    /// <summary>The destination already held state (tokens, directory, assignments or journal) before the copy.</summary>
    public required bool DestinationHeldState { get; init; }
    public required bool Copied { get; init; }
    /// <summary>The store id (mdmInfo id) the destination has after the copy: the source's.</summary>
    public required string StoreId { get; init; }
}

/// <summary>
/// Copies the whole state of one store to another, SQLite or PostgreSQL either way: every table
/// of the schema (tokens, inventory, directory, assignments, plans, pending requests, audit
/// journal, sync history, settings, the store's identity) read from one snapshot of the source
/// and written in one transaction of the destination, so a failure writes nothing. Leases are not
/// copied (they belong to running commands), nor the destination's key check. Secrets are
/// decrypted with the source's key and encrypted again with the destination's. The destination
/// takes the source's identity, so Apple sees the same management system.
/// </summary>
public sealed class StateCopier
{
    /// <summary>Tables that hold no state to move: running commands' leases and PostgreSQL's schema version.</summary>
    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase) { "leases", "schema_version" };

    /// <summary>The tables whose rows make a store "hold state" (a copy over them needs -Force).</summary>
    private static readonly string[] StateTables = ["tokens", "directory_users", "directory_devices", "directory_groups", "audit_log"];

    private readonly VppContext _source;
    private readonly VppSession _destination;

    public StateCopier(VppContext source, VppSession destination)
    {
        _source = source;
        _destination = destination;
        if (source.Store.Location.IsSameStoreAs(destination.Store.Location))
            throw new VppException(VppErrorKind.InvalidArgument, "VppCopySameStore",
                $"The destination is the store this session uses ({destination.Choice.Location}): give another database or folder.", destination.Choice.Location.ToString());
    }

    /// <summary>What a copy would move (-WhatIf): the rows of each table it copies, without writing anything.</summary>
    public StateCopyResult Survey()
    {
        var counts = _source.Store.Snapshot((c, t) => Tables(c, t).Select(table => new TableRows(table, Count(c, t, table))).ToList());
        return Result(counts, _destination.Store.Read(c => HoldsState(c, null)), copied: false, _source.Session.InstallationId);
    }

    /// <summary>
    /// Copies everything; refuses a destination that holds state unless <paramref name="force"/> (then
    /// its state is replaced). <paramref name="survey"/> (what <see cref="Survey"/> found just before)
    /// sizes the progress bar, so the rows are not counted again; the result holds the rows copied.
    /// </summary>
    public StateCopyResult Copy(bool force, StateCopyResult survey)
    {
        var destinationStore = _destination.Store;
        destinationStore.EnsureWritable();
        var observer = _source.Observer;
        var (counts, held) = _source.Store.Snapshot((source, snapshot) => destinationStore.Write((target, transaction) =>
        {
            var held = HoldsState(target, transaction);
            if (held && !force)
                throw new VppException(VppErrorKind.Conflict, "VppCopyDestinationHoldsState",
                    $"{destinationStore.Location} already holds VppPS state: nothing was copied. Add -Force to replace it with this store's state, or choose an empty database or folder.",
                    destinationStore.Location.ToString());
            var tables = Tables(source, snapshot);
            var targetTables = Tables(target, transaction);
            var missing = tables.Except(targetTables, StringComparer.OrdinalIgnoreCase).ToList();
            if (missing.Count > 0)
                throw new VppException(VppErrorKind.StateStore, "VppCopySchemaDiffers",
                    $"{destinationStore.Location} has no table {string.Join(", ", missing)}: its schema is not this module's. Nothing was copied.", destinationStore.Location.ToString());
            // Emptied children first; filled parents first (the schema's own order).
            for (var i = targetTables.Count - 1; i >= 0; i--) target.Execute(transaction, $"DELETE FROM {targetTables[i]}");
            var counts = new List<TableRows>();
            var total = Math.Max(1, survey.Rows);
            long done = 0;
            foreach (var table in tables)
            {
                // A trigger of an earlier table (group members) may have written rows here: the source's replace them.
                target.Execute(transaction, $"DELETE FROM {table}");
                var rows = CopyTable(source, snapshot, target, transaction, table, copied =>
                    observer.Progress(1, "Copying VppPS state", $"{table}: {copied:N0} rows", (int)Math.Min(99, (done + copied) * 100 / total)));
                done += rows;
                counts.Add(new TableRows(table, rows));
            }
            // The destination's own key check stays; its identity becomes the source's.
            if (_destination.KeyMatches is not null)
                SettingRows.Insert(target, transaction, VppSession.StoreKeyCheckSetting, StoreKey.CheckValue(_destination.Choice.Key!));
            if (target.IsPostgres()) ResetIdentities(target, transaction);
            new AuditJournal(destinationStore, _source.Clock, _source.Command).Write(target, transaction, "store", "Copy",
                $"state copied from {_source.Store.Location} ({counts.Sum(c => c.Rows):N0} rows{(held ? "; the state held before was replaced" : "")})");
            return (counts, held);
        }));
        observer.Progress(1, "Copying VppPS state", "done", 100, completed: true);
        // The destination's identity changed under the session this process keeps open on it.
        VppSession.Forget(_destination.Choice);
        return Result(counts, held, copied: true, _source.Session.InstallationId);
    }

    private StateCopyResult Result(IReadOnlyList<TableRows> counts, bool held, bool copied, string storeId) => new()
    {
        Source = _source.Store.Location.ToString(),
        Destination = _destination.Store.Location.ToString(),
        Tables = counts,
        DestinationHeldState = held,
        Copied = copied,
        StoreId = storeId,
    };

    /// <summary>The store's tables in the order its schema created them (a table after those it refers to).</summary>
    private static List<string> Tables(DbConnection connection, DbTransaction? transaction)
    {
        var sql = connection.IsPostgres()
            ? "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.oid"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY rowid";
        var tables = new List<string>();
        using (var command = connection.Command(transaction, sql))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
                if (!NotCopied.Contains(reader.GetString(0))) tables.Add(reader.GetString(0));
        return tables;
    }

    private static List<string> Columns(DbConnection connection, DbTransaction? transaction, string table)
    {
        var sql = connection.IsPostgres()
            ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $t ORDER BY ordinal_position"
            : "SELECT name FROM pragma_table_info($t) ORDER BY cid";
        var columns = new List<string>();
        using var command = connection.Command(transaction, sql, ("$t", table));
        using var reader = command.ExecuteReader();
        while (reader.Read()) columns.Add(reader.GetString(0));
        return columns;
    }

    /// <summary>The rows of <paramref name="table"/> a copy moves: all of them, but for the source's own key check.</summary>
    private static long Count(DbConnection connection, DbTransaction transaction, string table) =>
        table.Equals("settings", StringComparison.OrdinalIgnoreCase)
            ? connection.Long(transaction, "SELECT COUNT(*) FROM settings WHERE name <> $n", ("$n", VppSession.StoreKeyCheckSetting))
            : connection.Long(transaction, $"SELECT COUNT(*) FROM {table}");

    private static bool HoldsState(DbConnection connection, DbTransaction? transaction) =>
        StateTables.Any(table => connection.Long(transaction, $"SELECT CASE WHEN EXISTS (SELECT 1 FROM {table}) THEN 1 ELSE 0 END") == 1);

    /// <summary>Streams one table's rows into the destination in multi-row INSERTs; returns how many.</summary>
    private long CopyTable(DbConnection source, DbTransaction snapshot, DbConnection target, DbTransaction transaction, string table, Action<long> progress)
    {
        var columns = Columns(source, snapshot, table);
        var targetColumns = Columns(target, transaction, table);
        var lost = columns.Except(targetColumns, StringComparer.OrdinalIgnoreCase).ToList();
        if (lost.Count > 0)
            throw new VppException(VppErrorKind.StateStore, "VppCopySchemaDiffers",
                $"The destination's table {table} has no column {string.Join(", ", lost)}: its schema is not this module's. Nothing was copied.", table);
        var keyCheckColumn = table.Equals("settings", StringComparison.OrdinalIgnoreCase) ? columns.FindIndex(c => c.Equals("name", StringComparison.OrdinalIgnoreCase)) : -1;
        var perBatch = Math.Max(1, Math.Min(500, 30_000 / columns.Count));
        var batch = new List<object?[]>(perBatch);
        long copied = 0;
        using var command = source.Command(snapshot, $"SELECT {string.Join(", ", columns)} FROM {table}");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new object?[columns.Count];
            for (var i = 0; i < row.Length; i++) row[i] = Value(reader.IsDBNull(i) ? null : reader.GetValue(i));
            if (keyCheckColumn >= 0 && row[keyCheckColumn] as string == VppSession.StoreKeyCheckSetting) continue;
            batch.Add(row);
            if (batch.Count == perBatch)
            {
                Insert(target, transaction, table, columns, batch);
                copied += batch.Count;
                batch.Clear();
                if (copied % 50_000 < perBatch) progress(copied);
            }
        }
        Insert(target, transaction, table, columns, batch);
        return copied + batch.Count;
    }

    /// <summary>A value as the destination takes it: secrets encrypted again with the destination's key.</summary>
    private object? Value(object? value) =>
        value is string text && (text.StartsWith("aesgcm:", StringComparison.Ordinal) || text.StartsWith("dpapi:", StringComparison.Ordinal))
            ? _destination.Secrets.Protect(_source.Session.Secrets.Unprotect(text))
            : value;

    private static void Insert(DbConnection target, DbTransaction transaction, string table, List<string> columns, List<object?[]> rows)
    {
        if (rows.Count == 0) return;
        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
        var parameters = new List<(string, object?)>(rows.Count * columns.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Count; c++)
            {
                var name = $"$p{r}_{c}";
                sql.Append(c == 0 ? name : ", " + name);
                parameters.Add((name, rows[r][c]));
            }
            sql.Append(')');
        }
        target.Execute(transaction, sql.ToString(), parameters.ToArray());
    }

    /// <summary>PostgreSQL identity columns continue after the highest id copied.</summary>
    private static void ResetIdentities(DbConnection target, DbTransaction transaction)
    {
        var identities = new List<(string Table, string Column)>();
        using (var command = target.Command(transaction, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'"))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) identities.Add((reader.GetString(0), reader.GetString(1)));
        foreach (var (table, column) in identities)
            target.Execute(transaction,
                $"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)");
    }
}
