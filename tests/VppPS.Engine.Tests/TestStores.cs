using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using VppPS.Engine.Security;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests;

/// <summary>
/// The store a test runs on: SQLite in its folder, or, when VPPPS_TEST_BACKEND is PostgreSql (build.ps1
/// runs the engine tests once per backend), a PostgreSQL database of its own on the run's server.
/// Also the faults a test injects, each as the backend in use meets it.
/// </summary>
internal static class TestStores
{
    public const string BackendVariable = "VPPPS_TEST_BACKEND";

    public static bool Postgres => string.Equals(Environment.GetEnvironmentVariable(BackendVariable), "PostgreSql", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A session on <paramref name="folder"/> or on a new PostgreSQL database, which <paramref name="cleanup"/> drops;
    /// <paramref name="postgres"/> chooses PostgreSQL whatever the run's backend (a test of PostgreSQL's own faults).
    /// </summary>
    public static VppSession Session(string folder, out IDisposable? cleanup, bool? postgres = null)
    {
        cleanup = null;
        if (!(postgres ?? Postgres)) return VppSession.ForFolder(folder);
        var database = new PostgresDatabaseForTest();
        cleanup = database;
        return VppSession.ForChoice(StoreChoice.ForPostgres(database.ConnectionString, StoreKey.New(), "Test"));
    }

    /// <summary>The error id of a full disk on the backend in use.</summary>
    public static string DiskFullId => Postgres ? "VppStoreFull" : "VppStateDiskFull";

    /// <summary>The exception the backend in use throws when its disk is full.</summary>
    public static DbException DiskFullError() => Postgres
        ? new PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", PostgresErrorCodes.DiskFull)
        : new SqliteException("database or disk is full", 13);

    /// <summary>
    /// Fills the "disk" of <paramref name="store"/> until disposed. SQLite: no connection may grow the
    /// file by a single page. PostgreSQL: writing the inventory (assets, licenses, VPP users) fails as
    /// a full disk does (SQLSTATE 53100), raised by a trigger; other tables (sync runs) still take writes.
    /// </summary>
    public static IDisposable FillDisk(StateStore store)
    {
        if (!Postgres)
        {
            store.OnOpen = c => c.Execute(null, $"PRAGMA max_page_count = {(long)c.Scalar(null, "PRAGMA page_count;")!};");
            return new Undo(() =>
            {
                store.OnOpen = null;
                SqliteConnection.ClearAllPools();
            });
        }
        const string Tables = "assets, licenses, vpp_users";
        RunPostgres(store, """
            CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS
            'BEGIN RAISE EXCEPTION ''could not extend file: No space left on device'' USING ERRCODE = ''disk_full''; END';
            """ + string.Concat(Tables.Split(", ").Select(t => $"CREATE TRIGGER test_disk_full BEFORE INSERT OR UPDATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION test_disk_full();")));
        return new Undo(() => RunPostgres(store, "DROP FUNCTION test_disk_full() CASCADE"));
    }

    private static void RunPostgres(StateStore store, string sql)
    {
        using var connection = store.OpenConnection();
        using var command = new NpgsqlCommand(sql, (NpgsqlConnection)connection);
        command.ExecuteNonQuery();
    }

    private sealed class Undo(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
