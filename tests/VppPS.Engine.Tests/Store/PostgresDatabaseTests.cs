using Npgsql;
using VppPS.Engine.Store;
using VppPS.Engine.Store.Postgres;

namespace VppPS.Engine.Tests.Store;

public sealed class PostgresDatabaseTests
{
    [PostgresFact]
    public void First_connection_creates_the_schema_and_a_second_finds_it_current()
    {
        using var db = new PostgresDatabaseForTest();
        var first = PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        Assert.Equal(PostgresMigrations.LatestVersion, first.SchemaVersion);
        Assert.False(first.ReadOnly);
        var second = PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        Assert.Equal(PostgresMigrations.LatestVersion, second.SchemaVersion);
        using var connection = second.OpenConnection();
        using var count = new NpgsqlCommand("SELECT count(*) FROM vppps.schema_version", connection);
        Assert.Equal(1L, count.ExecuteScalar());
    }

    [PostgresFact]
    public void Case_insensitive_names_and_byte_ordered_targets_behave_as_in_SQLite()
    {
        using var db = new PostgresDatabaseForTest();
        var store = PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        using var connection = store.OpenConnection();
        using var insert = new NpgsqlCommand("INSERT INTO directory_groups (id, name, kind, created_at) VALUES ('a', 'Cart A', 'Device', 'x')", connection);
        insert.ExecuteNonQuery();
        using var duplicate = new NpgsqlCommand("INSERT INTO directory_groups (id, name, kind, created_at) VALUES ('b', 'CART a', 'Device', 'x')", connection);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.Throws<PostgresException>(() => duplicate.ExecuteNonQuery()).SqlState);
        using var find = new NpgsqlCommand("SELECT id FROM directory_groups WHERE name = 'cart a'", connection);
        Assert.Equal("a", find.ExecuteScalar());
    }

    [PostgresFact]
    public void Statements_run_as_long_as_they_need_unless_the_connection_string_sets_a_command_timeout()
    {
        // A first plan or a full sync's apply over millions of rows may take longer than Npgsql's default 30 seconds.
        using var db = new PostgresDatabaseForTest();
        using (var connection = PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString)).OpenConnection())
            Assert.Equal(0, connection.CommandTimeout);
        var limited = new NpgsqlConnectionStringBuilder(db.ConnectionString) { CommandTimeout = 7 }.ConnectionString;
        using (var connection = PostgresDatabase.Open(StoreLocation.ForPostgres(limited)).OpenConnection())
            Assert.Equal(7, connection.CommandTimeout);
    }

    [PostgresFact]
    public void A_database_written_by_a_newer_VppPS_is_refused()
    {
        using var db = new PostgresDatabaseForTest();
        PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        db.Execute($"UPDATE vppps.schema_version SET version = {PostgresMigrations.LatestVersion + 1}");
        var e = Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString)));
        Assert.Equal("VppStateFromNewerVersion", e.ErrorId);
    }

    [PostgresFact]
    public void A_reader_login_is_recognised_and_cannot_change_rows()
    {
        using var db = new PostgresDatabaseForTest();
        PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        var reader = PostgresDatabase.Open(StoreLocation.ForPostgres(db.CreateLogin("reader-pass", "vppps_reader")));
        Assert.True(reader.ReadOnly);
        using var connection = reader.OpenConnection();
        using var insert = new NpgsqlCommand("INSERT INTO settings VALUES ('x', 'y')", connection);
        var e = PostgresDatabase.Translate(Assert.Throws<PostgresException>(() => insert.ExecuteNonQuery()), reader.Location);
        Assert.Equal("VppStoreReadOnly", e.ErrorId);
        Assert.Equal(VppErrorKind.PermissionDenied, e.Kind);
    }

    [PostgresFact]
    public void An_operator_login_changes_rows_but_cannot_create_the_schema()
    {
        using var db = new PostgresDatabaseForTest();
        // The role exists before any VppPS schema does (roles belong to the whole server).
        db.Execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vppps_operator') THEN CREATE ROLE vppps_operator NOLOGIN; END IF; END $$");
        var login = db.CreateLogin("operator-pass", "vppps_operator");
        var e = Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(login)));
        Assert.Equal("VppStoreCannotMigrate", e.ErrorId);
        PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        var store = PostgresDatabase.Open(StoreLocation.ForPostgres(login));
        Assert.False(store.ReadOnly);
    }

    [PostgresFact]
    public void A_login_without_a_role_on_an_existing_schema_is_told_which_role_to_grant()
    {
        using var db = new PostgresDatabaseForTest();
        PostgresDatabase.Open(StoreLocation.ForPostgres(db.ConnectionString));
        var login = db.CreateLogin("norole-pass-4711");
        var user = new NpgsqlConnectionStringBuilder(login).Username!;

        var e = Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(login)));

        Assert.Equal("VppStoreNoRole", e.ErrorId);
        Assert.Equal(VppErrorKind.PermissionDenied, e.Kind);
        Assert.Contains($"GRANT vppps_operator TO \"{user}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("vppps_reader", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("4711", e.Message, StringComparison.Ordinal);
        // Given the role, the same login uses the store.
        db.Execute($"GRANT vppps_reader TO {user}");
        Assert.True(PostgresDatabase.Open(StoreLocation.ForPostgres(login)).ReadOnly);
    }

    /// <summary>Ends every connection to the test's database but the admin's own, as a server restart or pg_terminate_backend does.</summary>
    private static void EndConnections(PostgresDatabaseForTest db)
    {
        using var admin = new NpgsqlConnection(db.Admin.ConnectionString);
        admin.Open();
        using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", admin);
        command.Parameters.Add(new NpgsqlParameter { Value = db.Name });
        Assert.True((long)command.ExecuteScalar()! > 0, "the store had no connection to end");
        // pg_terminate_backend only signals: wait until the server has ended them.
        using var left = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", admin);
        left.Parameters.Add(new NpgsqlParameter { Value = db.Name });
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((long)left.ExecuteScalar()! > 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the server did not end the connections");
            Thread.Sleep(10);
        }
    }

    [PostgresFact]
    public void A_unit_of_work_whose_idle_pooled_connection_the_server_ended_runs_again_on_a_new_one()
    {
        using var db = new PostgresDatabaseForTest();
        var store = StateStore.Open(StoreLocation.ForPostgres(db.ConnectionString));
        store.Write((c, t) => c.Execute(t, "INSERT INTO settings (name, value) VALUES ('TokenCap', '7')"));

        EndConnections(db);
        Assert.Equal("7", store.Read(c => (string)c.Scalar(null, "SELECT value FROM settings WHERE name = 'TokenCap'")!));
        // Each step below starts from an idle pooled connection the server then ends (a unit of work
        // that ran again may leave none in the pool: it cleared the pool's dead ones).
        store.Read(c => 0);
        EndConnections(db);
        var runs = 0;
        store.Write((c, t) => { runs++; c.Execute(t, "UPDATE settings SET value = '8' WHERE name = 'TokenCap'"); });
        Assert.Equal(1, runs);
        store.Read(c => 0);
        EndConnections(db);
        Assert.Equal("8", store.Snapshot((c, t) => (string)c.Scalar(t, "SELECT value FROM settings WHERE name = 'TokenCap'")!));
    }

    [PostgresFact]
    public void A_write_whose_connection_breaks_once_its_work_began_is_not_run_again()
    {
        using var db = new PostgresDatabaseForTest();
        var store = StateStore.Open(StoreLocation.ForPostgres(db.ConnectionString));
        var runs = 0;

        var e = Assert.Throws<VppException>(() => store.Write((c, t) =>
        {
            runs++;
            c.Execute(t, "INSERT INTO settings (name, value) VALUES ('TokenCap', '9')");
            EndConnections(db);
            c.Execute(t, "INSERT INTO settings (name, value) VALUES ('LeaseMinutes', '5')");
        }));

        Assert.Equal("VppStoreConnectionLost", e.ErrorId);
        Assert.Equal(1, runs);
        Assert.Equal(0L, store.Read(c => c.Long(null, "SELECT count(*) FROM settings WHERE name IN ('TokenCap', 'LeaseMinutes')")));
    }

    [PostgresFact]
    public void A_wrong_password_is_a_clear_error_without_the_password()
    {
        using var db = new PostgresDatabaseForTest();
        var wrong = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Password = "not-the-password-4711" }.ConnectionString;
        var e = Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(wrong)));
        Assert.Equal("VppStoreLoginFailed", e.ErrorId);
        Assert.DoesNotContain("4711", e.Message);
    }

    [PostgresFact]
    public void A_missing_database_and_an_unreachable_server_are_clear_errors()
    {
        using var db = new PostgresDatabaseForTest();
        var missing = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = "no_such_database_here" }.ConnectionString;
        Assert.Equal("VppStoreDatabaseMissing", Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(missing))).ErrorId);

        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var nowhere = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = port, Timeout = 3 }.ConnectionString;
        var e = Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(nowhere)));
        Assert.Equal("VppStoreUnreachable", e.ErrorId);
        Assert.Equal(VppErrorKind.ServiceUnavailable, e.Kind);
    }

    [PostgresFact]
    public void A_connection_that_broke_in_use_is_lost_and_one_that_never_opened_is_unreachable()
    {
        var location = StoreLocation.ForPostgres("Host=db.example;Port=5433;Database=vppps;Username=alice;Password=secret-4711");
        // As Npgsql reports a write on a connection the server or the network ended, before or without the server's notice.
        var broke = new NpgsqlException("Exception while writing to stream",
            new IOException("Unable to write data to the transport connection: Broken pipe.", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.Shutdown)));
        var ended = new NpgsqlException("Exception while reading from stream", new EndOfStreamException());
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5433", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));

        Assert.Equal("VppStoreConnectionLost", PostgresDatabase.Translate(broke, location).ErrorId);
        Assert.Equal("VppStoreConnectionLost", PostgresDatabase.Translate(ended, location).ErrorId);
        var unreachable = PostgresDatabase.Translate(refused, location);
        Assert.Equal("VppStoreUnreachable", unreachable.ErrorId);
        Assert.All(new[] { broke, ended, refused }, e => Assert.DoesNotContain("4711", PostgresDatabase.Translate(e, location).Message, StringComparison.Ordinal));
    }

    [PostgresFact]
    public void A_server_that_requires_TLS_of_a_login_says_to_turn_TLS_on()
    {
        using var db = new PostgresDatabaseForTest();
        var login = db.CreateLogin("tls-pass-4711");
        var user = new NpgsqlConnectionStringBuilder(login).Username!;
        // The server's rules refuse this login without TLS (as a server with only hostssl lines does), and nothing else.
        using var admin = new NpgsqlConnection(db.Admin.ConnectionString);
        admin.Open();
        var hba = (string)new NpgsqlCommand("SHOW hba_file", admin).ExecuteScalar()!;
        var rules = File.ReadAllText(hba);
        try
        {
            File.WriteAllText(hba, $"hostnossl all {user} all reject\n" + rules);
            new NpgsqlCommand("SELECT pg_reload_conf()", admin).ExecuteNonQuery();
            var plain = new NpgsqlConnectionStringBuilder(login) { SslMode = SslMode.Disable }.ConnectionString;

            var e = Assert.Throws<VppException>(() => PostgresDatabase.Open(StoreLocation.ForPostgres(plain)));

            Assert.Equal("VppStoreLoginRefused", e.ErrorId);
            Assert.Equal(VppErrorKind.AuthenticationFailed, e.Kind);
            Assert.Contains($"requires TLS for '{user}'", e.Message, StringComparison.Ordinal);
            Assert.Contains("SSL Mode=Require", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("4711", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllText(hba, rules);
            new NpgsqlCommand("SELECT pg_reload_conf()", admin).ExecuteNonQuery();
        }
    }
}

public sealed class StoreLocationTests
{
    [Fact]
    public void A_uri_and_a_connection_string_give_the_same_location_and_never_show_the_password()
    {
        var fromUri = StoreLocation.ForPostgres("postgresql://vpp%40admin:s3cr%2Ft@db.example:5433/vppps?sslmode=require");
        Assert.Equal(StoreKind.PostgreSql, fromUri.Kind);
        Assert.Equal(("db.example", 5433, "vppps", "vpp@admin"), (fromUri.Host, fromUri.Port, fromUri.Database, fromUri.Username));
        Assert.True(fromUri.HasPassword);
        Assert.Contains("s3cr/t", fromUri.ConnectionString);
        Assert.DoesNotContain("s3cr", fromUri.ToString());
        var fromString = StoreLocation.ForPostgres("Host=db.example;Port=5433;Username=vpp@admin;Password=s3cr/t;Database=vppps");
        Assert.Equal(fromUri.ToString(), fromString.ToString());
    }

    [Theory]
    [InlineData("postgresql://u:hunter2@db.example/vppps?sslmode=bogus", "sslmode")]
    [InlineData("Host=db.example;Database=vppps;Username=u;Password=hunter2;SSL Mode=bogus", "SSL Mode")]
    public void A_bad_value_of_a_known_option_is_named(string text, string option)
    {
        var e = Assert.Throws<VppException>(() => StoreLocation.ForPostgres(text));
        Assert.Equal("VppStoreConnectionInvalid", e.ErrorId);
        Assert.Contains($"its option '{option}' does not take 'bogus'", e.Message, StringComparison.Ordinal);
        Assert.Contains("verify-full", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.Contains("its option 'colour' is not one PostgreSQL connections take",
            Assert.Throws<VppException>(() => StoreLocation.ForPostgres("postgresql://u@db.example/vppps?colour=blue")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Libpq_ssl_modes_are_taken_as_written()
    {
        Assert.Contains("SSL Mode=VerifyFull", StoreLocation.ForPostgres("postgresql://u@db.example/vppps?sslmode=verify-full").ConnectionString, StringComparison.Ordinal);
        Assert.Contains("SSL Mode=Require", StoreLocation.ForPostgres("Host=db.example;Database=vppps;SSL Mode=require").ConnectionString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("postgresql://host-without-database")]
    [InlineData("Username=x;Password=hunter2;Database=y")]
    [InlineData("this is no connection string hunter2")]
    public void Bad_text_is_refused_without_repeating_it(string text)
    {
        var e = Assert.Throws<VppException>(() => StoreLocation.ForPostgres(text));
        Assert.Equal("VppStoreConnectionInvalid", e.ErrorId);
        Assert.DoesNotContain("hunter2", e.Message);
    }
}
