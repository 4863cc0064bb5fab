using Microsoft.Data.Sqlite;
using VppPS.Engine.Assignments;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>
/// A full plan first compares wanted and held licenses in bulk (DifferingTargets) and then looks
/// only at the targets that differ. These generated states, with every kind of assignment,
/// request, owner, removal and license held outside VppPS, check it against planning each asset
/// on its own, which looks at every member with no comparison first.
/// </summary>
public sealed class FullPlanTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void A_full_plan_equals_planning_each_asset_on_its_own(int seed)
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        store.Write((c, t) => { Generate(c, t, new Random(seed)); return 0; });

        var (full, perAsset) = store.Read(c =>
        {
            var plan = AssignmentPlanner.Plan(c, null, 1, "T");
            var assets = new List<long>();
            using (var command = c.Command(null, "SELECT asset_key FROM assets"))
            using (var reader = command.ExecuteReader())
                while (reader.Read()) assets.Add(reader.GetInt64(0));
            return (plan, assets.Select(a => AssignmentPlanner.Plan(c, null, 1, "T", onlyAsset: a)).ToList());
        });

        Assert.False(full.IsEmpty); // the generated states always have work to do
        Assert.Equal(Rows(perAsset.SelectMany(p => p.Associations.Concat(p.Waiting))), Rows(full.Associations.Concat(full.Waiting)));
        Assert.Equal(Rows(perAsset.SelectMany(p => p.Disassociations)), Rows(full.Disassociations));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    public void A_plan_from_member_changes_equals_a_full_plan(int seed)
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        var random = new Random(seed);
        store.Write((c, t) => { Generate(c, t, random); return 0; });
        // Carry the plan out (as Apple would) until nothing is left, and record it as planned.
        for (var round = 0; round < 3; round++)
            store.Write((c, t) => { CarryOut(c, t, AssignmentPlanner.Plan(c, t, 1, "T")); return 0; });
        store.Write((c, t) =>
        {
            var done = AssignmentPlanner.Plan(c, t, 1, "T");
            Assert.True(done.IsEmpty);
            AssignmentPlanner.RecordPlanned(c, t, 1, Convert.ToInt64(c.Scalar(t, "SELECT coalesce(max(seq), 0) FROM member_changes")), complete: true, done.FullPlanRequests);
            // Then members join and leave groups.
            for (var n = 0; n < 12; n++)
            {
                var (group, members) = random.Next(4) switch { 0 => (1, 40), 1 => (2, 40), 2 => (3, 15), _ => (4, 15) };
                var member = random.Next(1, members + 1);
                if (c.Execute(t, "DELETE FROM group_members WHERE group_key = $g AND member_key = $m", ("$g", group), ("$m", member)) == 0)
                    c.Execute(t, "INSERT INTO group_members VALUES ($g, $m)", ("$g", group), ("$m", member));
            }
            return 0;
        });

        var (fromChanges, full) = store.Read(c => (AssignmentPlanner.Plan(c, null, 1, "T", fromChanges: true), AssignmentPlanner.Plan(c, null, 1, "T")));

        Assert.True(fromChanges.Incremental);
        Assert.Equal(Rows(full.Associations.Concat(full.Waiting)), Rows(fromChanges.Associations.Concat(fromChanges.Waiting)));
        Assert.Equal(Rows(full.Disassociations), Rows(fromChanges.Disassociations));
    }

    /// <summary>What the applier and Apple would do with a plan, written straight into the state.</summary>
    private static void CarryOut(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, AssignmentPlan plan)
    {
        const string now = "2026-11-25T00:00:00.0000000+00:00";
        foreach (var user in plan.UsersToCreate)
            c.Execute(t, "INSERT INTO managed_users (token_key, client_user_id, directory_user_id, created_at) VALUES (1, $cuid, $id, $now)",
                ("$cuid", $"vppps-new-{user.UserKey}"), ("$id", user.DirectoryUserId), ("$now", now));
        foreach (var user in plan.UsersToRetire)
            c.Execute(t, "UPDATE managed_users SET retired_at = $now WHERE token_key = 1 AND client_user_id = $cuid", ("$cuid", user.ClientUserId), ("$now", now));
        foreach (var x in plan.Associations.Where(a => a.Target is not null))
        {
            c.Execute(t, "INSERT OR IGNORE INTO licenses VALUES ($a, $kind, $target)", ("$a", x.AssetKey), ("$kind", x.TargetKind), ("$target", x.Target));
            c.Execute(t, "INSERT OR REPLACE INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at, assignment_id) " +
                         "VALUES (1, $adam, $pricing, $kind, $target, $reason, $now, $assignment)",
                ("$adam", x.AdamId), ("$pricing", x.PricingParam), ("$kind", x.TargetKind), ("$target", x.Target), ("$reason", x.Reason), ("$now", now), ("$assignment", x.AssignmentId));
        }
        foreach (var x in plan.Disassociations)
        {
            c.Execute(t, "DELETE FROM licenses WHERE asset_key = $a AND target_kind = $kind AND target = $target", ("$a", x.AssetKey), ("$kind", x.TargetKind), ("$target", x.Target));
            c.Execute(t, "DELETE FROM managed_licenses WHERE token_key = 1 AND adam_id = $adam AND pricing_param = $pricing AND target_kind = $kind AND target = $target",
                ("$adam", x.AdamId), ("$pricing", x.PricingParam), ("$kind", x.TargetKind), ("$target", x.Target));
        }
    }

    private static List<string> Rows(IEnumerable<LicenseChange> changes) =>
        changes.Select(x => $"{x.AdamId}|{x.TargetKind}|{x.Target}|{x.Display}|{x.UserKey}|{x.AssignmentId}|{x.Reason}").Order(StringComparer.Ordinal).ToList();

    private static void Generate(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, Random random)
    {
        const string now = "2026-11-25T00:00:00.0000000+00:00";
        void Exec(string sql, params (string, object?)[] p) => c.Execute(t, sql, p);
        bool Chance(int percent) => random.Next(100) < percent;
        object? RemovedMaybe() => Chance(10) ? now : null;

        Exec($"INSERT INTO tokens (key, id, name, organization_name, apple_id, account_type, expiration, state, token_secret, created_at, updated_at) VALUES (1, '{Guid.NewGuid()}', 'T', 'T', 'a@b.example', 'education', '2030-01-01', 'valid', 'x', '{now}', '{now}')");
        var assets = new[] { ("11", "App"), ("12", "App"), ("13", "App"), ("14", "App"), ("21", "Book") };
        foreach (var (adamId, type) in assets)
            Exec("INSERT INTO assets (token_key, adam_id, pricing_param, product_type, total_count, assigned_count, available_count, retired_count, device_assignable, revocable) " +
                 "VALUES (1, $a, 'STDQ', $type, 100000, 0, 100000, 0, $device, $revocable)",
                ("$a", adamId), ("$type", type), ("$device", type == "App" ? 1 : 0), ("$revocable", type == "App" ? 1 : 0));

        const int users = 15, devices = 40;
        for (var u = 1; u <= users; u++)
        {
            Exec("INSERT INTO directory_users (user_key, id, user_principal_name, created_at, updated_at, removed_at) VALUES ($k, $id, $upn, $now, $now, $removed)",
                ("$k", u), ("$id", $"user-{u}"), ("$upn", $"u{u}@school.example"), ("$now", now), ("$removed", RemovedMaybe()));
            if (Chance(60))
                Exec("INSERT INTO managed_users (token_key, client_user_id, directory_user_id, created_at, retired_at) VALUES (1, $cuid, $id, $now, $retired)",
                    ("$cuid", $"vppps-{u}"), ("$id", $"user-{u}"), ("$now", now), ("$retired", Chance(15) ? now : null));
        }
        for (var d = 1; d <= devices; d++)
            Exec("INSERT INTO directory_devices (device_key, serial_number, owner_upn, created_at, updated_at, removed_at) VALUES ($k, $serial, $owner, $now, $now, $removed)",
                ("$k", d), ("$serial", $"DEV{d:D3}"), ("$owner", Chance(50) ? $"u{random.Next(1, users + 1)}@school.example" : null), ("$now", now), ("$removed", RemovedMaybe()));

        // Bystanders in no group and with no license: the plan looks at the few who differ, not at everyone.
        Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) " +
             "INSERT INTO directory_devices (device_key, serial_number, created_at, updated_at) SELECT 1000 + i, printf('IDLE%04d', i), $now, $now FROM n", ("$now", now));

        var groups = new[] { (1, "Device"), (2, "Device"), (3, "User"), (4, "User") };
        foreach (var (key, kind) in groups)
        {
            Exec("INSERT INTO directory_groups (group_key, id, name, kind, created_at) VALUES ($k, $id, $name, $kind, $now)",
                ("$k", key), ("$id", $"group-{key}"), ("$name", $"Group {key}"), ("$kind", kind), ("$now", now));
            for (var m = 1; m <= (kind == "Device" ? devices : users); m++)
                if (Chance(40)) Exec("INSERT INTO group_members VALUES ($g, $m)", ("$g", key), ("$m", m));
        }

        var assignmentIds = new Dictionary<string, List<string>>();
        var intents = new[] { "Required", "Required", "Available", "Uninstall" };
        foreach (var (adamId, type) in assets)
        {
            assignmentIds[adamId] = [];
            foreach (var (group, kind) in groups.OrderBy(_ => random.Next()).Take(random.Next(1, 4)))
            {
                var intent = type == "Book" ? "Required" : intents[random.Next(intents.Length)];
                var licensing = type == "Book" || (kind == "User" && (intent == "Available" || Chance(50))) ? "User" : "Device";
                if (type == "Book" && kind == "Device") continue;
                if (intent == "Available" && kind == "Device") continue;
                var id = $"assignment-{adamId}-{group}";
                assignmentIds[adamId].Add(id);
                Exec("INSERT INTO assignments (id, token_key, adam_id, pricing_param, product_type, group_key, intent, license_type, created_at, updated_at) " +
                     "VALUES ($id, 1, $a, 'STDQ', $type, $g, $intent, $licensing, $created, $now)",
                    ("$id", id), ("$a", adamId), ("$type", type), ("$g", group), ("$intent", intent), ("$licensing", licensing),
                    ("$created", $"2026-11-{random.Next(1, 25):D2}"), ("$now", now));
            }
        }

        foreach (var (adamId, _) in assets)
        {
            for (var n = 0; n < 4; n++)
            {
                var kind = random.Next(2);
                Exec("INSERT OR IGNORE INTO license_requests (token_key, adam_id, pricing_param, target_kind, member_key, forced, requested_at) VALUES (1, $a, 'STDQ', $kind, $m, $forced, $now)",
                    ("$a", adamId), ("$kind", kind), ("$m", random.Next(1, (kind == 0 ? users : devices) + 1)), ("$forced", Chance(50) ? 1 : 0), ("$now", now));
            }
            // Held at Apple: some members' devices and VPP users, some targets VppPS never knew.
            var targets = Enumerable.Range(1, devices).Select(d => (Kind: 1, Target: $"DEV{d:D3}"))
                .Concat(Enumerable.Range(1, users).Select(u => (Kind: 0, Target: $"vppps-{u}")))
                .Concat(Enumerable.Range(1, 5).Select(o => (Kind: 1, Target: $"OUT{o:D3}")));
            foreach (var (kind, target) in targets)
            {
                var held = Chance(50);
                if (held)
                    Exec("INSERT INTO licenses SELECT asset_key, $kind, $target FROM assets WHERE adam_id = $a", ("$kind", kind), ("$target", target), ("$a", adamId));
                if ((held && Chance(70)) || Chance(10))
                    Exec("INSERT INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at, assignment_id) VALUES (1, $a, 'STDQ', $kind, $target, 'test', $now, $assignment)",
                        ("$a", adamId), ("$kind", kind), ("$target", target), ("$now", now),
                        ("$assignment", assignmentIds[adamId].Count > 0 && Chance(85) ? assignmentIds[adamId][random.Next(assignmentIds[adamId].Count)] : null));
            }
        }
    }
}
