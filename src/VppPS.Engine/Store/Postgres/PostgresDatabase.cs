using System.Net.Sockets;
using Npgsql;

namespace VppPS.Engine.Store.Postgres;

/// <summary>
/// A PostgreSQL database that holds VppPS's state: opens connections (pooled by Npgsql), creates
/// and migrates the schema on first connection (one migrator at a time, under an advisory lock,
/// in one transaction), refuses a database written by a newer VppPS, and turns every server
/// failure into a VppException that says what to do (<see cref="Translate"/>), never with the
/// password. A login that may only read is recognised, so that changes are refused up front.
/// </summary>
internal sealed class PostgresDatabase
{
    // Any fixed number: every VppPS that migrates this database waits on the same advisory lock.
    private const long MigrationLockId = 0x5650505053_4D4947; // "VPPPS" "MIG"

    private readonly string _connectionString;

    private PostgresDatabase(StoreLocation location)
    {
        Location = location;
        // Statements the engine runs again and again (batched writes, a plan's lookups) are prepared
        // once per connection by Npgsql, unless the connection string says otherwise.
        var builder = new NpgsqlConnectionStringBuilder(location.ConnectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }
        // A statement runs as long as it needs (a first plan or a full sync's apply over millions of
        // rows can take longer than Npgsql's 30 seconds on a busy server), as on SQLite, unless the
        // connection string sets a Command Timeout of its own.
        if (!builder.ConnectionString.Contains("Command Timeout=", StringComparison.OrdinalIgnoreCase))
            builder.CommandTimeout = 0;
        _connectionString = builder.ConnectionString;
    }

    public StoreLocation Location { get; }
    public int SchemaVersion { get; private set; }
    /// <summary>True when the login may read but not change rows (vppps_reader).</summary>
    public bool ReadOnly { get; private set; }

    /// <summary>Connects, migrates when needed (and allowed), and checks what the login may do.</summary>
    public static PostgresDatabase Open(StoreLocation location)
    {
        var database = new PostgresDatabase(location);
        database.Migrate();
        return database;
    }

    /// <summary>For tests: runs on every connection once it is open (see StateStore.OnOpen).</summary>
    internal Action<NpgsqlConnection>? OnOpen { get; set; }

    public NpgsqlConnection OpenConnection()
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Open();
            OnOpen?.Invoke(connection);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException)
        {
            connection.Dispose();
            throw Translate(e, Location);
        }
    }

    private void Migrate()
    {
        using var connection = OpenConnection();
        try
        {
            // A schema this login may not even look into is one it was given no role for, not one to create.
            using (var usage = new NpgsqlCommand($"SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = '{PostgresMigrations.Schema}'", connection))
                if (usage.ExecuteScalar() is false) throw NoRole();
            var version = ReadVersion(connection, null);
            if (version > PostgresMigrations.LatestVersion) throw TooNew(version);
            if (version < PostgresMigrations.LatestVersion)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockId})");
                Execute(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {PostgresMigrations.Schema}; CREATE TABLE IF NOT EXISTS {PostgresMigrations.Schema}.schema_version (version integer NOT NULL)");
                // Read again under the lock: another VppPS may have migrated meanwhile.
                version = ReadVersion(connection, transaction);
                if (version > PostgresMigrations.LatestVersion) throw TooNew(version);
                for (var step = version; step < PostgresMigrations.LatestVersion; step++)
                    Execute(connection, transaction, PostgresMigrations.Steps[step]);
                Execute(connection, transaction, $"DELETE FROM {PostgresMigrations.Schema}.schema_version; INSERT INTO {PostgresMigrations.Schema}.schema_version VALUES ({PostgresMigrations.LatestVersion})");
                Execute(connection, transaction, PostgresMigrations.Roles);
                transaction.Commit();
                // The migration may have created types (citext) that connections opened before did not know.
                connection.ReloadTypes();
                version = PostgresMigrations.LatestVersion;
            }
            SchemaVersion = version;
            using var rights = new NpgsqlCommand($"SELECT has_table_privilege('{PostgresMigrations.Schema}.settings', 'INSERT')", connection);
            ReadOnly = !(bool)rights.ExecuteScalar()!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new VppException(VppErrorKind.PermissionDenied, "VppStoreCannotMigrate",
                $"The PostgreSQL store {Location} has no VppPS schema of version {PostgresMigrations.LatestVersion} yet, and the login '{Location.Username}' may not create it. " +
                "Connect once with a login that may create objects in the database (its owner), then use this login again.", Location.ToString(), e);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw Translate(e, Location);
        }
    }

    private static int ReadVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand($"""
            SELECT CASE WHEN to_regclass('{PostgresMigrations.Schema}.schema_version') IS NULL THEN 0
                        ELSE (SELECT coalesce(max(version), 0) FROM {PostgresMigrations.Schema}.schema_version) END
            """, connection, transaction);
        // The inner SELECT is planned only when the table exists: to_regclass guards it.
        try
        {
            return Convert.ToInt32(command.ExecuteScalar());
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private VppException NoRole() => new(VppErrorKind.PermissionDenied, "VppStoreNoRole",
        $"The login '{Location.Username}' has no VppPS role on the PostgreSQL store {Location}: it may not use the VppPS schema there. " +
        $"Ask the database's owner to run GRANT vppps_operator TO \"{Location.Username}\" (to make changes) or GRANT vppps_reader TO \"{Location.Username}\" (to read only), then connect again.",
        Location.ToString());

    private VppException TooNew(int version) => new(VppErrorKind.StateStore, "VppStateFromNewerVersion",
        $"The PostgreSQL store {Location} has schema version {version}, written by a newer VppPS (this one knows up to {PostgresMigrations.LatestVersion}). " +
        "Update the VppPS module on this machine to the version the rest of the team uses.", Location.ToString());

    /// <summary>The one mapping from PostgreSQL and network failures to VppPS errors; the message never holds the password.</summary>
    public static VppException Translate(Exception e, StoreLocation? store)
    {
        // A failure seen where no store is at hand (a streamed read) names the server as Npgsql does.
        var location = store ?? StoreLocation.ForPostgres("Host=the-postgresql-server;Database=vppps");
        var where = store?.ToString() ?? "in use";
        if (e is PostgresException pg)
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword => new VppException(VppErrorKind.AuthenticationFailed, "VppStoreLoginFailed",
                    $"PostgreSQL refused the login '{location.Username}' at {location.Host}:{location.Port}: the password is wrong. Check the password in VPPPS_STORE or Set-VppConfiguration -Store.", where, e),
                // pg_hba.conf's words for a connection without TLS that only TLS would let in.
                PostgresErrorCodes.InvalidAuthorizationSpecification when pg.MessageText.Contains("no encryption", StringComparison.Ordinal) => new VppException(
                    VppErrorKind.AuthenticationFailed, "VppStoreLoginRefused",
                    $"PostgreSQL at {location.Host}:{location.Port} requires TLS for '{location.Username}' ({pg.MessageText}). " +
                    "Add sslmode=require (URI) or SSL Mode=Require (connection string) to the store's connection, then connect again.", where, e),
                PostgresErrorCodes.InvalidAuthorizationSpecification => new VppException(VppErrorKind.AuthenticationFailed, "VppStoreLoginRefused",
                    $"PostgreSQL at {location.Host}:{location.Port} does not let '{location.Username}' connect to '{location.Database}' this way ({pg.MessageText}). " +
                    "If the server requires TLS, add sslmode=require (URI) or SSL Mode=Require (connection string); otherwise ask its administrator to allow this login (pg_hba.conf).", where, e),
                PostgresErrorCodes.InvalidCatalogName => new VppException(VppErrorKind.NotFound, "VppStoreDatabaseMissing",
                    $"PostgreSQL at {location.Host}:{location.Port} has no database '{location.Database}'. Create it (CREATE DATABASE {location.Database} OWNER <login>), or fix the database name.", where, e),
                PostgresErrorCodes.InsufficientPrivilege => new VppException(VppErrorKind.PermissionDenied, "VppStoreReadOnly",
                    $"The login '{location.Username}' can only read the PostgreSQL store {where}: nothing was changed. Use a login granted vppps_operator to make changes.", where, e),
                PostgresErrorCodes.ReadOnlySqlTransaction => new VppException(VppErrorKind.PermissionDenied, "VppStoreReadOnly",
                    $"The PostgreSQL server at {location.Host}:{location.Port} accepts only reads (a standby or a read-only database): nothing was changed. Connect to the primary server.", where, e),
                PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow
                    => new VppException(VppErrorKind.ServiceUnavailable, "VppStoreUnavailable",
                    $"The PostgreSQL server at {location.Host}:{location.Port} cannot take this connection now ({pg.MessageText}). Nothing was changed; try again in a moment.", where, e),
                // The server ended a connection in use: what the command had committed stays, the rest rolled back.
                PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown => ConnectionLost(location, where, pg.MessageText, e),
                PostgresErrorCodes.DiskFull => new VppException(VppErrorKind.DiskFull, "VppStoreFull",
                    $"The PostgreSQL server at {location.Host}:{location.Port} is out of disk space: nothing was changed. Ask its administrator to free space, then run the command again.", where, e),
                _ => new VppException(VppErrorKind.StateStore, "VppStoreFailed",
                    $"The PostgreSQL store {where} failed: {pg.MessageText} ({pg.SqlState}). Nothing of this command was written; run it again.", where, e),
            };
        // A read or write on a connection that was open failed: it was ended (the server's notice may not have come first).
        if (Broke(e)) return ConnectionLost(location, where, Cause(e), e);
        return new VppException(VppErrorKind.ServiceUnavailable, "VppStoreUnreachable",
            $"The PostgreSQL server at {location.Host}:{location.Port} cannot be reached ({Cause(e)}). Check that it runs, the host and port, and the network, then try again: " +
            "what was saved before stays, and a change already sent to Apple is finished by the next run.", where, e);
    }

    /// <summary>The error of a connection the server or the network ended while it was open.</summary>
    public const string ConnectionLostErrorId = "VppStoreConnectionLost";

    private static VppException ConnectionLost(StoreLocation location, string where, string cause, Exception e) => new(VppErrorKind.ServiceUnavailable, ConnectionLostErrorId,
        $"The PostgreSQL server at {location.Host}:{location.Port} ended VppPS's connection ({cause}): a restart, a failover, an administrator or the network. " +
        "What was saved before stays, and a change already sent to Apple is finished by the next run; try again in a moment.", where, e);

    /// <summary>
    /// Whether Npgsql failed reading or writing a connection that was open (an I/O failure, or a
    /// socket reset or shut down), rather than failing to open one (refused, unknown host, timed
    /// out, TLS refused).
    /// </summary>
    private static bool Broke(Exception e)
    {
        var io = false;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException or TimeoutException) return false;
            if (inner is SocketException socket)
                return socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected;
            io |= inner is IOException;
        }
        return io;
    }

    private static string Cause(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket) return socket.SocketErrorCode.ToString();
        return e is TimeoutException || e.InnerException is TimeoutException ? "timed out" : e.Message;
    }
}
