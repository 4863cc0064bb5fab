using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using VppPS.Engine.Store;

// SyncFloor --service-url URL --token-file FILE (--db FILE [--keyed] | --postgres CONNECTION)
// A bare loop that downloads every page of assets, assignments and users (page 0, then the
// rest 5 at a time, in order) and bulk-inserts the rows in one transaction: what a sync cannot
// do faster.
// --db: into SQLite. With --keyed the tables have the primary keys any sync needs to merge later
// changes and answer "who holds this" (licenses by asset and target, users by id); without, they
// are bare heaps.
// --postgres: into the very tables of VppPS's PostgreSQL schema (created by the engine's own
// migration in that empty database, with their keys and references), with Npgsql's binary COPY.
// Prints floor.seconds=... and the row counts.
string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
var serviceUrl = Arg("--service-url").TrimEnd('/') + "/";
var token = File.ReadAllText(Arg("--token-file")).Trim();

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 5 }) { BaseAddress = new Uri(serviceUrl) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
if (args.Contains("--postgres")) return await PostgresFloor(Arg("--postgres"));

var dbPath = Arg("--db");
var keyed = args.Contains("--keyed");
File.Delete(dbPath);
using var connection = new SqliteConnection($"Data Source={dbPath}");
connection.Open();
Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
Exec(keyed
    ? "CREATE TABLE assets (adam_id TEXT, pricing TEXT, total INTEGER, assigned INTEGER, available INTEGER, retired INTEGER, PRIMARY KEY (adam_id, pricing));" +
      "CREATE TABLE licenses (adam_id TEXT, pricing TEXT, kind INTEGER, target TEXT, PRIMARY KEY (adam_id, pricing, kind, target)) WITHOUT ROWID;" +
      "CREATE TABLE users (client_user_id TEXT PRIMARY KEY, email TEXT, status TEXT, invite TEXT, id_hash TEXT) WITHOUT ROWID;"
    : "CREATE TABLE assets (adam_id TEXT, pricing TEXT, total INTEGER, assigned INTEGER, available INTEGER, retired INTEGER);" +
      "CREATE TABLE licenses (adam_id TEXT, pricing TEXT, kind INTEGER, target TEXT);" +
      "CREATE TABLE users (client_user_id TEXT, email TEXT, status TEXT, invite TEXT, id_hash TEXT);");
if (keyed) Exec("PRAGMA cache_size = -131072;");

var watch = Stopwatch.StartNew();
using var transaction = connection.BeginTransaction();
long assets = 0, licenses = 0, users = 0;
using (var insert = Prepare("INSERT INTO assets VALUES ($1,$2,$3,$4,$5,$6)", 6))
    await ReadAll("assets", "assets", e =>
    {
        Bind(insert, e.GetProperty("adamId").GetString(), e.GetProperty("pricingParam").GetString(), e.GetProperty("totalCount").GetInt32(),
            e.GetProperty("assignedCount").GetInt32(), e.GetProperty("availableCount").GetInt32(), e.GetProperty("retiredCount").GetInt32());
        assets++;
    });
using (var insert = Prepare("INSERT INTO licenses VALUES ($1,$2,$3,$4)", 4))
    await ReadAll("assignments", "assignments", e =>
    {
        var user = e.TryGetProperty("clientUserId", out var u) ? u.GetString() : null;
        Bind(insert, e.GetProperty("adamId").GetString(), e.GetProperty("pricingParam").GetString(), user is null ? 1 : 0,
            user ?? e.GetProperty("serialNumber").GetString());
        licenses++;
    });
using (var insert = Prepare("INSERT OR REPLACE INTO users VALUES ($1,$2,$3,$4,$5)", 5))
    await ReadAll("users", "users", e =>
    {
        Bind(insert, e.GetProperty("clientUserId").GetString(), Opt(e, "email"), Opt(e, "status"), Opt(e, "inviteCode"), Opt(e, "idHash"));
        users++;
    });
transaction.Commit();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor.seconds={watch.Elapsed.TotalSeconds:0.000}"));
Console.WriteLine($"floor.assets={assets} floor.assignments={licenses} floor.users={users}");
return 0;

async Task ReadAll(string path, string field, Action<JsonElement> row)
{
    async Task<JsonDocument> Page(int index)
    {
        using var response = await http.GetAsync($"{path}?pageIndex={index}", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        return await JsonDocument.ParseAsync(stream);
    }
    var first = await Page(0);
    var total = first.RootElement.GetProperty("totalPages").GetInt32();
    var pending = new Queue<Task<JsonDocument>>();
    var next = 1;
    void Fill() { while (pending.Count < 5 && next < total) pending.Enqueue(Page(next++)); }
    Fill();
    var document = first;
    while (true)
    {
        foreach (var e in document.RootElement.GetProperty(field).EnumerateArray()) row(e);
        document.Dispose();
        if (pending.Count == 0) break;
        document = await pending.Dequeue();
        Fill();
    }
}

// The same pages into VppPS's own PostgreSQL tables: assets, licenses, vpp_users, one binary COPY each.
async Task<int> PostgresFloor(string connectionString)
{
    StateStore.Open(StoreLocation.ForPostgres(connectionString));   // the schema, as a sync would find it
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "vppps" };
    await using var pg = new NpgsqlConnection(builder.ConnectionString);
    await pg.OpenAsync();
    await using (var token = new NpgsqlCommand(
        "INSERT INTO tokens (key, id, name, organization_name, apple_id, account_type, expiration, state, token_secret, created_at, updated_at) " +
        "VALUES (1, 'floor', 'Floor', 'Floor', 'a@b.example', 'education', '2030-01-01', 'valid', 'x', '2026-01-01', '2026-01-01')", pg))
        await token.ExecuteNonQueryAsync();
    var watch = Stopwatch.StartNew();
    await using var tx = await pg.BeginTransactionAsync();
    var assetKeys = new Dictionary<(string, string), long>();
    using (var import = pg.BeginBinaryImport("COPY assets (asset_key, token_key, adam_id, pricing_param, product_type, total_count, assigned_count, available_count, " +
                                             "retired_count, device_assignable, revocable) FROM STDIN (FORMAT BINARY)"))
    {
        await ReadAll("assets", "assets", e =>
        {
            var key = (e.GetProperty("adamId").GetString()!, e.GetProperty("pricingParam").GetString()!);
            if (!assetKeys.TryAdd(key, assetKeys.Count + 1)) return;
            import.StartRow();
            import.Write((long)assetKeys.Count, NpgsqlDbType.Bigint);
            import.Write(1L, NpgsqlDbType.Bigint);
            import.Write(key.Item1, NpgsqlDbType.Text);
            import.Write(key.Item2, NpgsqlDbType.Text);
            import.Write(e.GetProperty("productType").GetString() ?? "App", NpgsqlDbType.Text);
            foreach (var count in new[] { "totalCount", "assignedCount", "availableCount", "retiredCount" })
                import.Write((long)e.GetProperty(count).GetInt32(), NpgsqlDbType.Bigint);
            import.Write(e.TryGetProperty("deviceAssignable", out var d) && d.ValueKind == JsonValueKind.True ? 1L : 0L, NpgsqlDbType.Bigint);
            import.Write(e.TryGetProperty("revocable", out var r) && r.ValueKind == JsonValueKind.True ? 1L : 0L, NpgsqlDbType.Bigint);
        });
        import.Complete();
    }
    long licenses = 0, users = 0;
    using (var import = pg.BeginBinaryImport("COPY licenses (asset_key, target_kind, target) FROM STDIN (FORMAT BINARY)"))
    {
        await ReadAll("assignments", "assignments", e =>
        {
            var user = e.TryGetProperty("clientUserId", out var u) ? u.GetString() : null;
            import.StartRow();
            import.Write(assetKeys[(e.GetProperty("adamId").GetString()!, e.GetProperty("pricingParam").GetString()!)], NpgsqlDbType.Bigint);
            import.Write(user is null ? 1L : 0L, NpgsqlDbType.Bigint);
            import.Write(user ?? e.GetProperty("serialNumber").GetString()!, NpgsqlDbType.Text);
            licenses++;
        });
        import.Complete();
    }
    using (var import = pg.BeginBinaryImport("COPY vpp_users (token_key, client_user_id, email, status, invite_code, id_hash) FROM STDIN (FORMAT BINARY)"))
    {
        await ReadAll("users", "users", e =>
        {
            import.StartRow();
            import.Write(1L, NpgsqlDbType.Bigint);
            import.Write(e.GetProperty("clientUserId").GetString()!, NpgsqlDbType.Text);
            foreach (var name in new[] { "email", "status", "inviteCode", "idHash" })
            {
                if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) import.Write(v.GetString()!, NpgsqlDbType.Text);
                else if (name == "status") import.Write("Registered", NpgsqlDbType.Text);
                else import.WriteNull();
            }
            users++;
        });
        import.Complete();
    }
    await tx.CommitAsync();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor.seconds={watch.Elapsed.TotalSeconds:0.000}"));
    Console.WriteLine($"floor.assets={assetKeys.Count} floor.assignments={licenses} floor.users={users}");
    return 0;
}

static object Opt(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : DBNull.Value;

SqliteCommand Prepare(string sql, int count)
{
    var command = connection.CreateCommand();
    command.Transaction = transaction;
    command.CommandText = sql;
    for (var i = 1; i <= count; i++) command.Parameters.Add(new SqliteParameter("$" + i, null));
    command.Prepare();
    return command;
}

static void Bind(SqliteCommand command, params object?[] values)
{
    for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    command.ExecuteNonQuery();
}

void Exec(string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}
