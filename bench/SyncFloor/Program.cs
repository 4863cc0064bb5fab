using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Data.Sqlite;

// SyncFloor --service-url URL --token-file FILE --db FILE [--keyed]
// A bare loop that downloads every page of assets, assignments and users (page 0, then the
// rest 5 at a time, in order) and bulk-inserts the rows into SQLite in one transaction: what a
// sync cannot do faster. With --keyed the tables have the primary keys any sync needs to
// merge later changes and answer "who holds this" (licenses by asset and target, users by id);
// without, they are bare heaps. Prints floor.seconds=... and the row counts.
string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
var serviceUrl = Arg("--service-url").TrimEnd('/') + "/";
var token = File.ReadAllText(Arg("--token-file")).Trim();
var dbPath = Arg("--db");
var keyed = args.Contains("--keyed");
File.Delete(dbPath);

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 5 }) { BaseAddress = new Uri(serviceUrl) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
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
