using System.Data.Common;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.InventoryReads; // not ".Inventory": other tests name VppPS.Engine.Inventory as Inventory.*

/// <summary>
/// On SQLite, Get-VppUser and Get-VppLicense read through SQLite's own API (texts by their bytes,
/// an asset's texts once for its licenses, license targets counted by their bytes). These generated
/// states, with two tokens whose names sort against their keys, users with and without e-mail,
/// invitations, managed and adopted users, licenses held by users that are no VPP user, assets
/// with and without a name and licenses VppPS gave, check them against the data reader's path
/// (the one PostgreSQL takes): the same objects in the same order, for every filter.
/// </summary>
public sealed class InventoryReadTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Users_and_licenses_read_through_SQLite_equal_the_data_reader_path(int seed)
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        store.Write((c, t) => { Generate(c, t, new Random(seed)); return 0; });
        var raw = new InventoryQueries(store);
        var portable = new InventoryQueries(store) { PortableReads = true };

        var userFilters = new (string[]? Status, string[]? Tokens, string[]? Emails, string[]? Ids)[]
        {
            (null, null, null, null),
            (["Registered"], null, null, null),
            (["associated", "Retired"], ["z*"], null, null),
            (null, ["Alpha"], null, null),
            (null, null, ["*@school.example"], null),
            (null, null, ["ünï-3@school.example"], null),  // a few: counted one by one
            (null, null, null, ["cuid-0007", "cuid-0050"]),
        };
        foreach (var (status, tokens, emails, ids) in userFilters)
        {
            var expected = portable.Users(status, tokens, emails, ids);
            Assert.Equal(expected, raw.Users(status, tokens, emails, ids));
            if (status is null && tokens is null && emails is null && ids is null)
            {
                Assert.True(expected.Count > 64); // the bulk count, not the one-by-one one
                Assert.Contains(expected, u => u.LicenseCount > 1);
                Assert.Contains(expected, u => u.InvitationUrl is not null);
                Assert.Equal(["alpha", "Zeta"], expected.Select(u => u.Token).Distinct()); // by name, not by key
            }
        }

        var licenseFilters = new[]
        {
            new LicenseFilter(),
            new LicenseFilter(AppPatterns: ["Key*"]),
            new LicenseFilter(AppPatterns: ["103"], TokenPatterns: ["alpha"]),
            new LicenseFilter(Users: ["cuid-0003", "ünï-5@school.example"]),
            new LicenseFilter(Devices: ["dev0004"]),
            new LicenseFilter(PricingParams: ["PLUS"]),
        };
        foreach (var filter in licenseFilters)
            Assert.Equal(portable.Licenses(filter).ToList(), raw.Licenses(filter).ToList());
        var all = portable.Licenses(new LicenseFilter()).ToList();
        Assert.Contains(all, l => l.AssignedByVppPS);
        Assert.Contains(all, l => l.Name is null);
        Assert.Contains(all, l => l.TargetType == LicenseTargetType.User && l.UserEmail is null);
        Assert.Contains(all, l => l.TargetType == LicenseTargetType.User && l.UserEmail is not null);
        Assert.DoesNotContain(all, l => l.Reason.Contains("Gone"));
        // Stopping early (Select-Object -First) leaves the store usable.
        Assert.Equal(all.Take(5), raw.Licenses(new LicenseFilter()).Take(5));
        Assert.Equal(all.Count, raw.Licenses(new LicenseFilter()).Count());
    }

    private static void Generate(DbConnection c, DbTransaction t, Random random)
    {
        const string now = "2026-11-25T00:00:00.0000000+00:00";
        void Exec(string sql, params (string, object?)[] p) => c.Execute(t, sql, p);
        bool Chance(int percent) => random.Next(100) < percent;

        // Key 1 is named Zeta and key 2 alpha: users come by token name (case aside), not by key.
        foreach (var (key, name) in new[] { (1, "Zeta"), (2, "alpha") })
        {
            Exec($"INSERT INTO tokens (key, id, name, organization_name, apple_id, account_type, expiration, state, token_secret, created_at, updated_at) VALUES ($k, '{Guid.NewGuid()}', $n, 'Org', 'a@b.example', 'education', '2030-01-01', 'valid', 'x', '{now}', '{now}')",
                ("$k", key), ("$n", name));
            Exec("INSERT INTO sync_cursors (token_key, invitation_template) VALUES ($k, $template)",
                ("$k", key), ("$template", key == 1 ? "https://vpp.example/invite?code=%25inviteCode%25" : null));
        }
        var assets = new List<(int Key, int Token, string AdamId, string PricingParam)>();
        foreach (var token in new[] { 1, 2 })
            foreach (var (adamId, type, pricing) in new[] { ("101", "App", "STDQ"), ("101", "App", "PLUS"), ("102", "App", "STDQ"), ("103", "Book", "STDQ") })
            {
                var assetKey = assets.Count + 1;
                assets.Add((assetKey, token, adamId, pricing));
                Exec("INSERT INTO assets (asset_key, token_key, adam_id, pricing_param, product_type, total_count, assigned_count, available_count, retired_count, device_assignable, revocable) " +
                     "VALUES ($key, $t, $a, $p, $type, 1000, 0, 1000, 0, 1, 1)", ("$key", assetKey), ("$t", token), ("$a", adamId), ("$p", pricing), ("$type", type));
            }
        Exec($"INSERT INTO asset_metadata (adam_id, name, fetched_at) VALUES ('101', 'Keynote', '{now}'), ('102', 'Pages ✓', '{now}')"); // 103 has no name

        const int users = 120, devices = 30;
        var statuses = new[] { "Registered", "Associated", "Retired" };
        for (var u = 1; u <= users; u++)
        {
            var token = u % 3 == 0 ? 2 : 1;
            var id = $"cuid-{u:D4}";
            var status = statuses[random.Next(statuses.Length)];
            Exec("INSERT INTO vpp_users (token_key, client_user_id, email, status, invite_code, id_hash) VALUES ($t, $id, $mail, $status, $code, $hash)",
                ("$t", token), ("$id", id), ("$mail", Chance(80) ? (u % 2 == 1 ? $"ünï-{u}@school.example" : $"user{u}@school.example") : null), ("$status", status),
                ("$code", status == "Registered" ? $"code {u}/x" : null), ("$hash", Chance(50) ? $"hash{u}" : null));
            if (Chance(30))
                Exec("INSERT INTO managed_users (token_key, client_user_id, directory_user_id, created_at, adopted_at) VALUES ($t, $id, $dir, $now, $adopted)",
                    ("$t", token), ("$id", id), ("$dir", $"user-{u}"), ("$now", now), ("$adopted", Chance(30) ? now : null));
        }
        foreach (var (asset, token, adamId, pricing) in assets)
        {
            // Reasons kept for licenses that Apple holds no more, before, among and after the licenses held.
            foreach (var (kind, target) in new[] { (0, "cuid-0000"), (0, $"cuid-{random.Next(users):D4}x"), (0, "zz"), (1, "DEV0000"), (1, "zz") })
                Exec("INSERT INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at) VALUES ($t, $adam, $p, $k, $target, 'Required for group ''Gone''', $now)",
                    ("$t", token), ("$adam", adamId), ("$p", pricing), ("$k", kind), ("$target", target), ("$now", now));
            // Users of either token (a license of another token's user has no e-mail here) and a few that are no VPP user at all.
            var targets = Enumerable.Range(1, users + 5).Where(_ => Chance(40)).Select(u => (0, $"cuid-{u:D4}"))
                .Concat(Enumerable.Range(1, devices).Where(_ => Chance(40)).Select(d => (1, $"DEV{d:D4}")));
            foreach (var (kind, target) in targets)
            {
                Exec("INSERT INTO licenses (asset_key, target_kind, target) VALUES ($a, $k, $target)", ("$a", asset), ("$k", kind), ("$target", target));
                if (Chance(25))
                    Exec("INSERT INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at) VALUES ($t, $adam, $p, $k, $target, $reason, $now)",
                        ("$t", token), ("$adam", adamId), ("$p", pricing), ("$k", kind), ("$target", target), ("$reason", $"Required for group 'G{random.Next(3)}'"), ("$now", now));
            }
        }
    }
}
