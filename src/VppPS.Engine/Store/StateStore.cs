using Microsoft.Data.Sqlite;

namespace VppPS.Engine.Store;

/// <summary>
/// The SQLite state database: one file per user, WAL mode (readers never block the writer),
/// a busy timeout so that several pwsh processes can share it, foreign keys on, and the
/// schema migrated in one transaction on first open. A database written by a newer VppPS is
/// refused rather than misread.
/// </summary>
public sealed class StateStore
{
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);
    private readonly string _connectionString;

    private StateStore(string folder)
    {
        Folder = folder;
        DatabasePath = Path.Combine(folder, StatePaths.DatabaseFileName);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    public string Folder { get; }
    public string DatabasePath { get; }

    /// <summary>Opens (creating and migrating as needed) the store in <paramref name="folder"/>.</summary>
    public static StateStore Open(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VppException(VppErrorKind.StateStore, "VppStateFolderUnusable",
                $"The VppPS data folder '{folder}' cannot be created: {e.Message} Set {StatePaths.HomeVariable} or run Set-VppConfiguration -DataFolder to use another folder.", folder, e);
        }
        var store = new StateStore(folder);
        store.Migrate();
        return store;
    }

    /// <summary>An open connection with the per-connection pragmas applied. Dispose it.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Unusable(e);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction (BEGIN IMMEDIATE, so that two
    /// writers queue on the busy timeout instead of failing on upgrade). Nothing is written
    /// unless the whole of it succeeds.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = OpenConnection();
        using var transaction = BeginImmediate(connection);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and rolls it back: what a change would
    /// do (-WhatIf), computed by the very code that would do it, with nothing written.
    /// </summary>
    public T Trial<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = OpenConnection();
        using var transaction = BeginImmediate(connection);
        var result = work(connection, transaction);
        transaction.Rollback();
        return result;
    }

    public void Write(Action<SqliteConnection, SqliteTransaction> work) =>
        Write<bool>((c, t) => { work(c, t); return true; });

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = OpenConnection();
        return work(connection);
    }

    /// <summary>PRAGMA integrity_check; "ok" when the file is sound.</summary>
    public string CheckIntegrity() => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        var lines = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) lines.Add(reader.GetString(0));
        return string.Join(Environment.NewLine, lines);
    });

    public int SchemaVersion => Read(c => ReadUserVersion(c, null));

    public string JournalMode => Read(c => (string)c.Scalar(null, "PRAGMA journal_mode;")!);

    private static SqliteTransaction BeginImmediate(SqliteConnection connection)
    {
        // Microsoft.Data.Sqlite's deferred=false gives BEGIN IMMEDIATE.
        return connection.BeginTransaction(deferred: false);
    }

    private void Migrate()
    {
        using var connection = OpenConnection();
        try
        {
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                wal.ExecuteNonQuery();
            }
            var version = ReadUserVersion(connection, null);
            if (version > Migrations.LatestVersion) throw TooNew(version);
            if (version == Migrations.LatestVersion) return;

            using var transaction = BeginImmediate(connection);
            // Read again under the write lock: another process may have migrated meanwhile.
            version = ReadUserVersion(connection, transaction);
            if (version > Migrations.LatestVersion) throw TooNew(version);
            for (var step = version; step < Migrations.LatestVersion; step++)
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = Migrations.Steps[step] + $"\nPRAGMA user_version = {step + 1};";
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        catch (SqliteException e)
        {
            throw Unusable(e);
        }
    }

    private static int ReadUserVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar());
    }

    private VppException TooNew(int version) => new(VppErrorKind.StateStore, "VppStateFromNewerVersion",
        $"The state database '{DatabasePath}' has schema version {version}, written by a newer VppPS (this one knows up to {Migrations.LatestVersion}). " +
        "Update the VppPS module, or point VppPS at another data folder with the VPPPS_HOME environment variable.", DatabasePath);

    private VppException Unusable(SqliteException e) => new(VppErrorKind.StateStore, "VppStateUnusable",
        $"The state database '{DatabasePath}' cannot be used: {e.Message} (SQLite error {e.SqliteErrorCode}). " +
        "If another VppPS is busy with it, try again; if the file is damaged, restore it from a backup or move it aside and sync again.", DatabasePath, e);
}
