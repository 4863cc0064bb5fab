using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using VppPS.Engine.Assignments;
using VppPS.Engine.Store;

// PlanBench: 50 apps Required for a device group of 100,000:
//  - first plan, nothing held yet: every app x member is a change (4,950,000 associations);
//  - steady state: everything held, then 1,000 members join: the plan after the next sync
//    looks at the members who changed (50,000 changes), and a full reconcile (Get-VppAssignmentPlan,
//    the plan after a full sync), which compares wanted and held licenses in bulk first.
// Prints the time of each plan and the memory it allocated, against the targets.
// PlanBench [--postgres CONNECTION]: on a SQLite file in a temporary folder, or in the (empty)
// PostgreSQL database named, whose schema the engine creates; names are prefixed "pg." there.
const int Apps = 50, Members = 100_000, Joined = 1_000;
var postgres = args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault();
var pg = postgres is not null;
var prefix = pg ? "pg." : "";
var folder = Path.Combine(Path.GetTempPath(), "vppps-planbench-" + Guid.NewGuid().ToString("N"));
try
{
    var store = pg ? StateStore.Open(StoreLocation.ForPostgres(postgres!)) : StateStore.Open(folder);
    var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
    // Numbers 1..n, in each backend's words.
    string Numbers(int n) => pg ? $"generate_series(1, {n}) n(i)" : $"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) SELECT i FROM n) n";
    store.Write((c, t) =>
    {
        Exec(c, t, $"INSERT INTO tokens (key, id, name, organization_name, apple_id, account_type, expiration, state, token_secret, created_at, updated_at) VALUES (1, '{Guid.NewGuid()}', 'Bench', 'Bench', 'a@b.example', 'education', '2030-01-01', 'valid', 'x', '{now}', '{now}')");
        Exec(c, t, "INSERT INTO assets (asset_key, token_key, adam_id, pricing_param, product_type, total_count, assigned_count, available_count, retired_count, device_assignable, revocable) " +
                   $"SELECT i, 1, 'app' || i, 'STDQ', 'App', 1000000, 0, 1000000, 0, 1, 1 FROM {Numbers(Apps)}");
        Exec(c, t, $"INSERT INTO directory_devices (device_key, serial_number, created_at, updated_at) SELECT i, {(pg ? "'DEV' || lpad(i::text, 8, '0')" : "printf('DEV%08d', i)")}, '{now}', '{now}' FROM {Numbers(Members)}");
        Exec(c, t, $"INSERT INTO directory_groups (group_key, id, name, kind, created_at) VALUES (1, '{Guid.NewGuid()}', 'All iPads', 'Device', '{now}')");
        Exec(c, t, $"INSERT INTO group_members SELECT 1, device_key FROM directory_devices WHERE device_key <= {Members - Joined}");
        Exec(c, t, "INSERT INTO assignments (id, token_key, adam_id, pricing_param, product_type, group_key, intent, license_type, created_at, updated_at) " +
                   $"SELECT {(pg ? "md5(adam_id || random()::text)" : "lower(hex(randomblob(16)))")}, 1, adam_id, 'STDQ', 'App', 1, 'Required', 'Device', '{now}', '{now}' FROM assets");
    });
    // PostgreSQL: the statistics autovacuum would have gathered after rows by the million.
    if (pg) Analyze(store);

    var initial = Measure(store, fromChanges: false);
    Console.WriteLine(prefix + Line("plan.initial", initial, $"{Apps} apps x {Members - Joined:N0} members, nothing held yet (a full plan)"));

    // Everything held (and given by VppPS), planned up to now; then 1% of members join the group.
    store.Write((c, t) =>
    {
        Exec(c, t, $"INSERT INTO licenses SELECT a.asset_key, 1, d.serial_number FROM assets a CROSS JOIN directory_devices d WHERE d.device_key <= {Members - Joined} ORDER BY 1, 3");
        Exec(c, t, "INSERT INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at, assignment_id) " +
                   $"SELECT 1, a.adam_id, 'STDQ', 1, d.serial_number, 'bench', '{now}', s.id FROM assets a JOIN assignments s ON s.adam_id = a.adam_id CROSS JOIN directory_devices d WHERE d.device_key <= {Members - Joined} ORDER BY 2, 5");
        Exec(c, t, "INSERT INTO plan_state (token_key, planned_seq, needs_full_plan) VALUES (1, (SELECT max(seq) FROM member_changes), 0)");
        Exec(c, t, $"INSERT INTO group_members SELECT 1, device_key FROM directory_devices WHERE device_key > {Members - Joined}");
    });
    if (pg) Analyze(store);
    var steady = Measure(store, fromChanges: true);
    Console.WriteLine(prefix + Line("plan.steady", steady, $"{Apps} apps x {Members:N0} members, all held but {Joined:N0} who joined since the last plan"));
    var full = Measure(store, fromChanges: false);
    Console.WriteLine(prefix + Line("plan.full_reconcile", full, "the same, every member checked (after a full sync, once a day)"));
    Console.WriteLine($"{prefix}plan.steady target<2s {(steady.Seconds < 2 ? "PASS" : "FAIL")}; {prefix}plan.full_reconcile target<2s {(full.Seconds < 2 ? "PASS" : "FAIL")}; " +
                      $"memory proportional to changes: {steady.AllocatedMb / Math.Max(1, steady.Changes) * 1024 * 1024:0} and {full.AllocatedMb / Math.Max(1, full.Changes) * 1024 * 1024:0} bytes per change");
}
finally
{
    SqliteConnection.ClearAllPools();
    Npgsql.NpgsqlConnection.ClearAllPools();
    try { Directory.Delete(folder, true); } catch (IOException) { }
}

static (double Seconds, double AllocatedMb, int Changes) Measure(StateStore store, bool fromChanges)
{
    GC.Collect();
    var before = GC.GetTotalAllocatedBytes(precise: true);
    var watch = Stopwatch.StartNew();
    var plan = store.Read(c => AssignmentPlanner.Plan(c, null, 1, "Bench", fromChanges: fromChanges));
    var seconds = watch.Elapsed.TotalSeconds;
    var allocated = (GC.GetTotalAllocatedBytes(precise: true) - before) / 1024.0 / 1024.0;
    return (seconds, allocated, plan.Associations.Count + plan.Disassociations.Count + plan.Waiting.Count);
}

static string Line(string name, (double Seconds, double AllocatedMb, int Changes) m, string what) =>
    string.Create(CultureInfo.InvariantCulture, $"{name}.seconds={m.Seconds:0.00} changes={m.Changes:N0} allocated_mb={m.AllocatedMb:0} ({what})");

static void Analyze(StateStore store) => store.Read(c =>
{
    Exec(c, null, "ANALYZE");
    return 0;
});

static void Exec(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? t, string sql)
{
    using var command = c.CreateCommand();
    command.Transaction = t;
    command.CommandText = sql;
    command.CommandTimeout = 600;
    command.ExecuteNonQuery();
}
