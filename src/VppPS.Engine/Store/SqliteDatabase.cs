using Microsoft.Data.Sqlite;

namespace VppPS.Engine.Store;

/// <summary>
/// The SQLite side of <see cref="StateStore"/>, the embedded default: one file per user, WAL mode (readers never block the writer),
/// synchronous = FULL (a transaction is on disk when its commit returns, before anything is
/// sent to Apple), a busy timeout so that several pwsh processes can share it, foreign keys on,
/// and the schema migrated in one transaction on first open. A database written by a newer
/// VppPS, and a SQLite file that is not VppPS's, are refused and left unchanged. On Unix the
/// folder and its files are kept to their user (see <see cref="PrivateFiles"/>). Every SQLite
/// failure leaves as a <see cref="VppException"/> (see <see cref="DatabaseErrors"/>).
/// </summary>
internal sealed class SqliteDatabase
{
    /// <summary>'VPPS': PRAGMA application_id of a VppPS database (set by a migration).</summary>
    internal const int ApplicationId = 0x56505053;

    /// <summary>For tests only: the busy timeout in milliseconds instead of 30 seconds.</summary>
    internal const string BusyTimeoutVariable = "VPPPS_BUSY_TIMEOUT_MS";

    private static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(30);
    private readonly string _connectionString;
    private readonly TimeSpan _busyTimeout;
    private readonly List<string> _openingWarnings = [];

    private SqliteDatabase(string folder, bool readOnly, TimeSpan? busyTimeout)
    {
        Folder = folder;
        DatabasePath = Path.Combine(folder, StatePaths.DatabaseFileName);
        _busyTimeout = busyTimeout ?? BusyTimeoutSetting();
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)_busyTimeout.TotalSeconds),
        }.ToString();
    }

    public string Folder { get; }
    public string DatabasePath { get; }

    /// <summary>What opening found and fixed (a folder other users could read), for the caller to show once.</summary>
    public IReadOnlyList<string> OpeningWarnings => _openingWarnings;

    /// <summary>For tests: runs on every connection after its pragmas (e.g. PRAGMA max_page_count to fill the "disk").</summary>
    internal Action<SqliteConnection>? OnOpen { get; set; }

    /// <summary>Opens (creating and migrating as needed) the store in <paramref name="folder"/>.</summary>
    public static SqliteDatabase Open(string folder) => Open(folder, readOnly: false, busyTimeout: null);

    /// <param name="readOnly">For tests: every connection read-only, as on a read-only file system (SQLITE_READONLY on write).</param>
    /// <param name="busyTimeout">For tests: how long a writer waits for another (30 seconds when null).</param>
    internal static SqliteDatabase Open(string folder, bool readOnly, TimeSpan? busyTimeout)
    {
        try
        {
            PrivateFiles.CreateFolder(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VppException(VppErrorKind.StateStore, "VppStateFolderUnusable",
                $"The VppPS data folder '{folder}' cannot be created: {e.Message} Set {StatePaths.HomeVariable} or run Set-VppConfiguration -DataFolder to use another folder.", folder, e);
        }
        var store = new SqliteDatabase(folder, readOnly, busyTimeout);
        if (PrivateFiles.Tighten(folder) is { } warning)
            store._openingWarnings.Add(warning);
        // SQLite gives the -wal and -shm files the database file's mode: a database created
        // here 0600 keeps them private too.
        if (!readOnly)
        {
            try { PrivateFiles.CreateFile(store.DatabasePath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* SQLite's open says why, below */ }
        }
        store.Migrate();
        return store;
    }

    /// <summary>
    /// The <see cref="VppException"/> for a failure that came from this database (a SQLite error,
    /// itself or inside <paramref name="e"/>); null for anything else.
    /// </summary>
    public VppException? Translate(Exception e) => DatabaseErrors.Find(e) is { } sqlite ? DatabaseErrors.From(sqlite, DatabasePath) : null;

    /// <summary>
    /// The <see cref="VppException"/> a failure is told as: itself, or a SQLite failure as the
    /// database of the data folder in effect tells it; null for anything else. For the cmdlets'
    /// one error path, which may have no store at hand (a streamed read).
    /// </summary>
    public static VppException? Explain(Exception e) => e as VppException
        ?? (DatabaseErrors.Find(e) is { } sqlite ? DatabaseErrors.From(sqlite, Path.Combine(StatePaths.Resolve().Folder, StatePaths.DatabaseFileName)) : null);

    /// <summary>An open connection with the per-connection pragmas applied. Dispose it.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            // FULL: in WAL mode, NORMAL may lose the last commits on a power cut; a journal row
            // written just before a request to Apple must not be lost.
            pragma.CommandText = $"PRAGMA busy_timeout = {(int)_busyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;";
            pragma.ExecuteNonQuery();
            OnOpen?.Invoke(connection);
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw DatabaseErrors.From(e, DatabasePath);
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
        try
        {
            using var transaction = BeginImmediate(connection);
            var result = work(connection, transaction);
            transaction.Commit();
            return result;
        }
        catch (SqliteException e)
        {
            throw DatabaseErrors.From(e, DatabasePath);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and rolls it back: what a change would
    /// do (-WhatIf), computed by the very code that would do it, with nothing written.
    /// </summary>
    public T Trial<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = OpenConnection();
        try
        {
            using var transaction = BeginImmediate(connection);
            var result = work(connection, transaction);
            transaction.Rollback();
            return result;
        }
        catch (SqliteException e)
        {
            throw DatabaseErrors.From(e, DatabasePath);
        }
    }

    public void Write(Action<SqliteConnection, SqliteTransaction> work) =>
        Write<bool>((c, t) => { work(c, t); return true; });

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = OpenConnection();
        try
        {
            return work(connection);
        }
        catch (SqliteException e)
        {
            throw DatabaseErrors.From(e, DatabasePath);
        }
    }

    /// <summary>PRAGMA integrity_check; "ok" when the file is sound.</summary>
    public string CheckIntegrity() => Read(IntegrityCheck);

    /// <summary>
    /// Examines the database in <paramref name="folder"/> without migrating or changing it: schema
    /// version, journal mode, SQLite's integrity check. A damaged file, a file that is not
    /// VppPS's and a newer schema are reported in <see cref="DatabaseCheck.Problem"/>, not thrown;
    /// anything else (busy, no access) is thrown as a VppException.
    /// </summary>
    public static DatabaseCheck Check(string folder)
    {
        var path = Path.Combine(folder, StatePaths.DatabaseFileName);
        var busyTimeout = BusyTimeoutSetting();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString());
        try
        {
            connection.Open();
            connection.Execute(null, $"PRAGMA busy_timeout = {(int)busyTimeout.TotalMilliseconds};");
            var version = ReadUserVersion(connection, null);
            var journalMode = (string?)connection.Scalar(null, "PRAGMA journal_mode;");
            string? problem = null;
            try { EnsureOwnDatabase(connection, path); }
            catch (VppException e) { problem = e.Message; }
            var integrity = IntegrityCheck(connection);
            if (integrity != "ok")
                problem ??= DatabaseErrors.Damaged(path, "SQLite's integrity check found damage, listed in IntegrityCheck");
            if (version > Migrations.LatestVersion)
                problem ??= DatabaseErrors.NewerSchema(path, version).Message;
            return new DatabaseCheck(path, version, journalMode, integrity, problem);
        }
        catch (SqliteException e) when (DatabaseErrors.IsDamage(e))
        {
            return new DatabaseCheck(path, null, null, e.Message, DatabaseErrors.Unreadable(path, DatabaseErrors.Describe(e)).Message);
        }
        catch (SqliteException e)
        {
            throw DatabaseErrors.From(e, path);
        }
    }

    private static string IntegrityCheck(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        var lines = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) lines.Add(reader.GetString(0));
        return string.Join(Environment.NewLine, lines);
    }

    public int SchemaVersion => Read(c => ReadUserVersion(c, null));

    public string JournalMode => Read(c => (string)c.Scalar(null, "PRAGMA journal_mode;")!);

    private static TimeSpan BusyTimeoutSetting() =>
        int.TryParse(Environment.GetEnvironmentVariable(BusyTimeoutVariable), out var ms) && ms >= 0 ? TimeSpan.FromMilliseconds(ms) : DefaultBusyTimeout;

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
            // Before anything changes the file (WAL mode is written into its header).
            EnsureOwnDatabase(connection, DatabasePath);
            var version = ReadUserVersion(connection, null);
            if (version > Migrations.LatestVersion) throw DatabaseErrors.NewerSchema(DatabasePath, version);
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                wal.ExecuteNonQuery();
            }
            if (version == Migrations.LatestVersion) return;

            using var transaction = BeginImmediate(connection);
            // Read again under the write lock: another process may have migrated meanwhile.
            version = ReadUserVersion(connection, transaction);
            if (version > Migrations.LatestVersion) throw DatabaseErrors.NewerSchema(DatabasePath, version);
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
            throw DatabaseErrors.From(e, DatabasePath);
        }
    }

    /// <summary>
    /// Refuses a SQLite file that VppPS did not create: VppPS's carries its application_id, or
    /// (written before that id was set) its first tables; an empty file is new.
    /// </summary>
    private static void EnsureOwnDatabase(SqliteConnection connection, string databasePath)
    {
        var applicationId = Convert.ToInt32(connection.Scalar(null, "PRAGMA application_id;"));
        if (applicationId == ApplicationId) return;
        if (applicationId != 0)
            throw DatabaseErrors.Foreign(databasePath, $"its application id is {applicationId}, not VppPS's");
        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var command = connection.Command(null, "SELECT name FROM sqlite_schema WHERE type = 'table'"))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) tables.Add(reader.GetString(0));
        if (tables.Count == 0) return;
        if (ReadUserVersion(connection, null) > 0 && tables.IsSupersetOf(["settings", "installation", "audit_log"])) return;
        throw DatabaseErrors.Foreign(databasePath, $"it holds other tables: {string.Join(", ", tables.Order(StringComparer.Ordinal).Take(5))}{(tables.Count > 5 ? ", ..." : "")}");
    }

    private static int ReadUserVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar());
    }
}
