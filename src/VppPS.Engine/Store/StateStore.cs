using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;
using VppPS.Engine.Store.Postgres;

namespace VppPS.Engine.Store;

/// <summary>
/// The store seam: where VppPS's state lives, behind one unit of work. <see cref="Read"/> runs
/// on a connection without a transaction; <see cref="Write"/> runs in one transaction that commits
/// only when the whole of it succeeds, with one writer at a time (SQLite: BEGIN IMMEDIATE; PostgreSQL:
/// a transaction-level advisory lock), so that a check and the change it guards (never more
/// licenses than owned) cannot interleave with another writer's, on one machine or many;
/// <see cref="Trial"/> runs the same and rolls it back (-WhatIf). Two backends: a SQLite file in a
/// data folder (<see cref="SqliteDatabase"/>, the embedded default) and a PostgreSQL database a team
/// shares (<see cref="PostgresDatabase"/>). SQL is written once, with $name parameters (see
/// <see cref="CommandExtensions"/>); the few SQLite-only fast paths check <see cref="Kind"/>.
/// Every database failure leaves as a VppException (<see cref="Translate"/>).
/// </summary>
public sealed class StateStore
{
    // Any fixed number: every writer of one PostgreSQL store queues on the same advisory lock.
    private const long WriterLockId = 0x5650505053_575254; // "VPPPS" "WRT"
    private readonly SqliteDatabase? _sqlite;
    private readonly PostgresDatabase? _postgres;

    private StateStore(SqliteDatabase sqlite)
    {
        _sqlite = sqlite;
        Location = StoreLocation.ForFolder(sqlite.Folder);
    }

    private StateStore(PostgresDatabase postgres)
    {
        _postgres = postgres;
        Location = postgres.Location;
    }

    public StoreKind Kind => _sqlite is not null ? StoreKind.Sqlite : StoreKind.PostgreSql;
    public StoreLocation Location { get; }
    /// <summary>The data folder of a SQLite store; null for PostgreSQL.</summary>
    public string? Folder => _sqlite?.Folder;
    /// <summary>The SQLite file; null for PostgreSQL.</summary>
    public string? DatabasePath => _sqlite?.DatabasePath;
    /// <summary>What opening found and fixed (a folder other users could read), for the caller to show once.</summary>
    public IReadOnlyList<string> OpeningWarnings => _sqlite?.OpeningWarnings ?? [];
    /// <summary>True for a PostgreSQL login that may only read (vppps_reader): every change is refused before it starts.</summary>
    public bool ReadOnly => _postgres?.ReadOnly ?? false;
    public int SchemaVersion => _sqlite?.SchemaVersion ?? _postgres!.SchemaVersion;

    /// <summary>
    /// For tests, on either backend: runs on every connection the store opens (SQLite: after its
    /// pragmas), to inject a fault (a full disk, a failing server) where the engine meets it.
    /// </summary>
    internal Action<DbConnection>? OnOpen
    {
        get => _onOpen;
        set
        {
            _onOpen = value;
            if (_sqlite is not null) _sqlite.OnOpen = value is null ? null : c => value(c);
            else _postgres!.OnOpen = value is null ? null : c => value(c);
        }
    }

    private Action<DbConnection>? _onOpen;

    private SqliteDatabase Sqlite => _sqlite ?? throw new InvalidOperationException("This is a SQLite-only operation; the store is PostgreSQL.");

    /// <summary>Opens (creating and migrating as needed) the SQLite store in <paramref name="folder"/>.</summary>
    public static StateStore Open(string folder) => new(SqliteDatabase.Open(folder));

    /// <summary>For tests: a read-only SQLite store, or one with a short busy timeout.</summary>
    internal static StateStore Open(string folder, bool readOnly, TimeSpan? busyTimeout) => new(SqliteDatabase.Open(folder, readOnly, busyTimeout));

    /// <summary>Opens the store at <paramref name="location"/>, creating and migrating its schema as needed.</summary>
    public static StateStore Open(StoreLocation location) =>
        location.Kind == StoreKind.Sqlite ? Open(location.Folder!) : new StateStore(PostgresDatabase.Open(location));

    /// <summary>An open connection (SQLite: with its pragmas), outside any unit of work: streamed reads and tests. Dispose it.</summary>
    public DbConnection OpenConnection() => _sqlite is not null ? _sqlite.OpenConnection() : _postgres!.OpenConnection();

    internal SqliteConnection OpenSqliteConnection() => Sqlite.OpenConnection();

    internal NpgsqlConnection OpenPostgresConnection() => (_postgres ?? throw new InvalidOperationException("not a PostgreSQL store")).OpenConnection();

    /// <summary>Runs <paramref name="work"/> in one write transaction; nothing is written unless the whole of it succeeds.</summary>
    public T Write<T>(Func<DbConnection, DbTransaction, T> work) =>
        _sqlite is not null ? _sqlite.Write((c, t) => work(c, t)) : RunPostgres(work, commit: true);

    public void Write(Action<DbConnection, DbTransaction> work) => Write<bool>((c, t) => { work(c, t); return true; });

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and rolls it back: what a change would
    /// do (-WhatIf), computed by the very code that would do it, with nothing written.
    /// </summary>
    public T Trial<T>(Func<DbConnection, DbTransaction, T> work) =>
        _sqlite is not null ? _sqlite.Trial((c, t) => work(c, t)) : RunPostgres(work, commit: false);

    public T Read<T>(Func<DbConnection, T> work)
    {
        if (_sqlite is not null) return _sqlite.Read(c => work(c));
        // A read commits nothing: one whose connection broke runs again on a fresh one.
        return OnPostgres(connection => work(connection), mayRetry: () => true);
    }

    /// <summary>
    /// Runs <paramref name="work"/> over one consistent snapshot of the store (SQLite: a deferred
    /// read transaction; PostgreSQL: REPEATABLE READ, read only), without blocking writers.
    /// </summary>
    public T Snapshot<T>(Func<DbConnection, DbTransaction, T> work)
    {
        if (_sqlite is not null)
            return _sqlite.Read(c =>
            {
                using var transaction = c.BeginTransaction(deferred: true);
                return work(c, transaction);
            });
        // A read-only transaction commits nothing: one whose connection broke runs again on a fresh one.
        return OnPostgres(connection =>
        {
            using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction)) readOnly.ExecuteNonQuery();
            return work(connection, transaction);
        }, mayRetry: () => true);
    }

    /// <summary>A PostgreSQL write transaction, one writer at a time (the lock ends with the transaction).</summary>
    internal NpgsqlTransaction BeginPostgresWrite(NpgsqlConnection connection)
    {
        EnsureWritable();
        var transaction = connection.BeginTransaction();
        using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({WriterLockId})", connection, transaction);
        command.ExecuteNonQuery();
        return transaction;
    }

    /// <summary>The error a change on a store this login may only read is refused with.</summary>
    public const string ReadOnlyErrorId = "VppStoreReadOnly";

    /// <summary>Refuses a change on a store this login may only read, before anything is read, written or sent.</summary>
    public void EnsureWritable()
    {
        if (ReadOnly)
            throw new VppException(VppErrorKind.PermissionDenied, ReadOnlyErrorId,
                $"The login '{Location.Username}' can only read the PostgreSQL store {Location}: nothing was changed and nothing was sent to Apple. " +
                "Use a login granted vppps_operator to make changes.", Location.ToString());
    }

    private T RunPostgres<T>(Func<DbConnection, DbTransaction, T> work, bool commit)
    {
        // Runs again on a fresh connection only when the connection broke at the transaction's first
        // statement (taking the writer lock), before the work ran: never once the work, or the commit, began.
        var began = false;
        return OnPostgres(connection =>
        {
            using var transaction = BeginPostgresWrite(connection);
            began = true;
            var result = work(connection, transaction);
            if (commit) transaction.Commit();
            else transaction.Rollback();
            return result;
        }, mayRetry: () => !began);
    }

    /// <summary>
    /// Runs one unit of work on a PostgreSQL connection from the pool, and translates its failures.
    /// A pooled connection the server ended while it sat idle (a restart, a failover, an idle timeout,
    /// pg_terminate_backend) is found broken only at its first statement: when this unit's own
    /// connection broke and <paramref name="mayRetry"/> says nothing of the unit can have been
    /// committed, the pool's idle connections are dropped and the unit runs once more on a new one.
    /// </summary>
    private T OnPostgres<T>(Func<NpgsqlConnection, T> work, Func<bool> mayRetry)
    {
        for (var attempt = 1; ; attempt++)
        {
            var connection = _postgres!.OpenConnection();
            try
            {
                return work(connection);
            }
            // A failure already told as VppPS's came from another unit of work (nested), never retried here.
            catch (Exception e) when (e is not VppException && FindPostgres(e) is { } failure)
            {
                var error = PostgresDatabase.Translate(failure, Location);
                var broke = connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.FullState == System.Data.ConnectionState.Closed;
                if (attempt > 1 || error.ErrorId != PostgresDatabase.ConnectionLostErrorId || !broke || !mayRetry()) throw error;
                NpgsqlConnection.ClearPool(connection);
            }
            finally
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>The <see cref="VppException"/> for a failure that came from this store; null for anything else.</summary>
    public VppException? Translate(Exception e) => _sqlite is not null
        ? _sqlite.Translate(e)
        : FindPostgres(e) is { } failure ? PostgresDatabase.Translate(failure, Location) : null;

    /// <summary>
    /// The <see cref="VppException"/> a failure is told as: itself, or a database failure as the store
    /// tells it; null for anything else. For the cmdlets' one error path, which may have no store at hand.
    /// </summary>
    public static VppException? Explain(Exception e) => e as VppException ?? SqliteDatabase.Explain(e)
        ?? (FindPostgres(e) is { } failure ? PostgresDatabase.Translate(failure, null) : null);

    private static Exception? FindPostgres(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is NpgsqlException or SocketException) return inner;
        return null;
    }

    // ---------------------------------------------------------------- SQLite only (Test-VppDatabase, tests)

    /// <summary>PRAGMA integrity_check; "ok" when the file is sound.</summary>
    public string CheckIntegrity() => Sqlite.CheckIntegrity();

    public string JournalMode => Sqlite.JournalMode;

    /// <summary>Examines the SQLite database in <paramref name="folder"/> without migrating or changing it.</summary>
    public static DatabaseCheck Check(string folder) => SqliteDatabase.Check(folder);
}
