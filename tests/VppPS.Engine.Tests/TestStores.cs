using VppPS.Engine.Security;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests;

/// <summary>
/// The store a test runs on: SQLite in its folder, or, when VPPPS_TEST_BACKEND is PostgreSql (build.ps1
/// runs the engine tests once per backend), a PostgreSQL database of its own on the run's server.
/// </summary>
internal static class TestStores
{
    public const string BackendVariable = "VPPPS_TEST_BACKEND";

    public static bool Postgres => string.Equals(Environment.GetEnvironmentVariable(BackendVariable), "PostgreSql", StringComparison.OrdinalIgnoreCase);

    /// <summary>A session on <paramref name="folder"/> or on a new PostgreSQL database, which <paramref name="cleanup"/> drops.</summary>
    public static VppSession Session(string folder, out IDisposable? cleanup)
    {
        cleanup = null;
        if (!Postgres) return VppSession.ForFolder(folder);
        var database = new PostgresDatabaseForTest();
        cleanup = database;
        return VppSession.ForChoice(StoreChoice.ForPostgres(database.ConnectionString, StoreKey.New(), "Test"));
    }
}
