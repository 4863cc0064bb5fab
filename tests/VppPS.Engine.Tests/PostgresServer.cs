using Npgsql;

namespace VppPS.Engine.Tests;

/// <summary>
/// The PostgreSQL server that build.ps1 Test starts for the run (tools/TestPostgres.psm1) and names
/// in VPPPS_TEST_POSTGRES (a superuser connection string). Each test gets a database of its own,
/// dropped when the test ends. Tests of PostgreSQL itself are marked <see cref="PostgresFactAttribute"/>,
/// skipped (with the reason) without the variable; a run on the PostgreSQL backend without it fails and says how to run it.
/// </summary>
public sealed class PostgresDatabaseForTest : IDisposable
{
    public const string Variable = "VPPPS_TEST_POSTGRES";

    /// <summary>Why the PostgreSQL tests cannot run here; null when the variable names a server.</summary>
    public static string? Unavailable => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable))
        ? $"{Variable} is not set: build.ps1 Test starts a private PostgreSQL server and sets it for these tests."
        : null;

    public PostgresDatabaseForTest()
    {
        var admin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(admin))
            throw new InvalidOperationException($"{Variable} is not set: run the tests with build.ps1 Test, which starts a private PostgreSQL server for them.");
        Admin = new NpgsqlConnectionStringBuilder(admin);
        Name = "vppps_test_" + Guid.NewGuid().ToString("N")[..16];
        using var connection = new NpgsqlConnection(Admin.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {Name}", connection);
        command.ExecuteNonQuery();
        ConnectionString = new NpgsqlConnectionStringBuilder(Admin.ConnectionString) { Database = Name }.ConnectionString;
    }

    public NpgsqlConnectionStringBuilder Admin { get; }
    public string Name { get; }
    /// <summary>The superuser's connection string to this test's database.</summary>
    public string ConnectionString { get; }

    /// <summary>Runs SQL as the superuser in this test's database.</summary>
    public void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>A login of its own (dropped with the database's end), with the given roles.</summary>
    public string CreateLogin(string password, params string[] roles)
    {
        var login = "vppps_login_" + Guid.NewGuid().ToString("N")[..12];
        Execute($"CREATE ROLE {login} LOGIN PASSWORD '{password}'" + (roles.Length > 0 ? $" IN ROLE {string.Join(", ", roles)}" : "") + $"; GRANT CONNECT ON DATABASE {Name} TO {login}");
        _logins.Add(login);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Username = login, Password = password }.ConnectionString;
    }

    private readonly List<string> _logins = [];

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(Admin.ConnectionString);
        connection.Open();
        using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection))
            drop.ExecuteNonQuery();
        foreach (var login in _logins)
        {
            using var dropLogin = new NpgsqlCommand($"DROP ROLE IF EXISTS {login}", connection);
            dropLogin.ExecuteNonQuery();
        }
    }
}

/// <summary>A test of PostgreSQL whatever the run's backend: skipped, saying why, when no server was given (<see cref="PostgresDatabaseForTest.Unavailable"/>).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = PostgresDatabaseForTest.Unavailable;
}
