using System.Data.Common;
using System.Text;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Inventory;

/// <summary>Filters of Get-VppLicensedApp/Book. Patterns are wildcards (* ? [ ]), case-insensitive.</summary>
public sealed record AssetFilter(
    string ProductType,
    string[]? NamePatterns = null,
    string[]? AdamIds = null,
    string[]? BundleIds = null,
    string[]? TokenPatterns = null,
    bool NoLicensesLeft = false,
    bool OverAssigned = false,
    Guid[]? TokenIds = null,
    string[]? PricingParams = null);

/// <summary>Filters of Get-VppLicense.</summary>
public sealed record LicenseFilter(
    string[]? AppPatterns = null,
    string[]? Users = null,
    string[]? Devices = null,
    string[]? TokenPatterns = null,
    Guid[]? TokenIds = null,
    string[]? PricingParams = null);

/// <summary>Reads the inventory that syncs keep: assets with counts, license holders, VPP users.</summary>
public sealed class InventoryQueries
{
    private readonly StateStore _store;

    public InventoryQueries(StateStore store) => _store = store;

    public IReadOnlyList<LicensedAsset> Assets(AssetFilter filter, bool summary)
    {
        var where = new List<string> { filter.ProductType == "Book" ? "a.product_type = 'Book'" : "a.product_type <> 'Book'" };
        var parameters = new List<(string, object?)>();
        AddAny(where, parameters, NameOrPattern("coalesce(m.name, a.adam_id)"), "n", filter.NamePatterns);
        AddAny(where, parameters, "a.adam_id = {0}", "id", filter.AdamIds);
        AddAny(where, parameters, "lower(m.bundle_id) = lower({0})", "b", filter.BundleIds);
        AddAny(where, parameters, NameOrPattern("t.name"), "t", filter.TokenPatterns);
        AddAny(where, parameters, "t.id = {0}", "tid", filter.TokenIds?.Select(id => id.ToString()).ToArray());
        AddAny(where, parameters, "a.pricing_param = upper({0})", "p", filter.PricingParams);
        if (filter.NoLicensesLeft) where.Add($"a.available_count <= 0 AND a.total_count < {ResponseAsset.UnlimitedCount}");
        if (filter.OverAssigned) where.Add($"a.total_count < {ResponseAsset.UnlimitedCount} AND (a.assigned_count > a.total_count - a.retired_count OR a.available_count < 0)");
        var sql = $"""
            SELECT m.name, a.adam_id, m.bundle_id, t.name, t.id, a.pricing_param, a.product_type, a.total_count, a.assigned_count, a.available_count,
                   a.retired_count, a.device_assignable, a.revocable, coalesce(a.supported_platforms, ''), m.version, m.icon_url
            FROM assets a JOIN tokens t ON t.key = a.token_key LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
            WHERE {string.Join(" AND ", where)}
            ORDER BY lower(coalesce(m.name, a.adam_id)), a.adam_id, a.pricing_param, lower(t.name)
            """;
        var rows = _store.Read(c =>
        {
            using var command = c.Command(null, sql, parameters.ToArray());
            using var reader = command.ExecuteReader();
            var list = new List<LicensedAsset>();
            while (reader.Read())
            {
                var unlimited = reader.GetInt64(7) >= ResponseAsset.UnlimitedCount;
                list.Add(new LicensedAsset
                {
                    Name = reader.GetStringOrNull(0),
                    AdamId = reader.GetString(1),
                    BundleId = reader.GetStringOrNull(2),
                    Token = reader.GetString(3),
                    TokenId = Guid.Parse(reader.GetString(4)),
                    PricingParam = reader.GetString(5),
                    ProductType = reader.GetString(6),
                    TotalCount = unlimited ? null : reader.GetInt64(7),
                    AssignedCount = reader.GetInt64(8),
                    AvailableCount = unlimited ? null : reader.GetInt64(9),
                    Unlimited = unlimited,
                    RetiredCount = reader.GetInt64(10),
                    DeviceAssignable = reader.GetInt64(11) != 0,
                    Revocable = reader.GetInt64(12) != 0,
                    SupportedPlatforms = reader.GetString(13).Split(',', StringSplitOptions.RemoveEmptyEntries),
                    Version = reader.GetStringOrNull(14),
                    IconUrl = reader.GetStringOrNull(15),
                });
            }
            return list;
        });
        return summary ? Summarize(rows) : rows;
    }

    /// <summary>Streams license holders: a location can hold millions, so rows are read as they are written out.</summary>
    public IEnumerable<LicenseHolder> Licenses(LicenseFilter filter)
    {
        // Conditions on the asset (its name, token, pricing) and on the license row (its user or device).
        var assetWhere = new List<string> { "1=1" };
        var rowWhere = new List<string> { "1=1" };
        var assetParameters = new List<(string, object?)>();
        var rowParameters = new List<(string, object?)>();
        AddAny(assetWhere, assetParameters, "(a.adam_id = {0} OR " + NameOrPattern("coalesce(m.name, '')") + ")", "app", filter.AppPatterns);
        AddAny(assetWhere, assetParameters, NameOrPattern("t.name"), "t", filter.TokenPatterns);
        AddAny(assetWhere, assetParameters, "t.id = {0}", "tid", filter.TokenIds?.Select(id => id.ToString()).ToArray());
        AddAny(assetWhere, assetParameters, "a.pricing_param = upper({0})", "p", filter.PricingParams);
        AddAny(rowWhere, rowParameters, "(l.target_kind = 0 AND (l.target = {0} OR lower(coalesce(u.email, '')) = lower({0})))", "user", filter.Users);
        AddAny(rowWhere, rowParameters, "(l.target_kind = 1 AND upper(l.target) = upper({0}))", "device", filter.Devices);
        const string Users = "LEFT JOIN vpp_users u ON l.target_kind = 0 AND u.token_key = a.token_key AND u.client_user_id = l.target";
        using var connection = _store.OpenConnection();
        if (RawReads(connection))
        {
            // SQLite, through its own API: the assets first (their texts once each), then each asset's
            // licenses (with a user's e-mail) and the reasons VppPS gave them, both in the licenses' key
            // order and merged. Joining the token, metadata and managed license to every row as well was
            // most of SQLite's time for a long list.
            var assets = new List<(long Key, long TokenKey, string Token, string AdamId, string? Name, string PricingParam, string ProductType)>();
            var pool = new Utf8StringPool();
            using (var read = new RawStatement(connection, $"""
                SELECT a.asset_key, a.token_key, t.name, a.adam_id, m.name, a.pricing_param, a.product_type
                FROM assets a JOIN tokens t ON t.key = a.token_key LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
                WHERE {string.Join(" AND ", assetWhere)} ORDER BY a.asset_key
                """))
            {
                foreach (var (name, value) in assetParameters) read.Bind(name, (string?)value);
                while (read.Read())
                    assets.Add((read.Int64(0), read.Int64(1), pool.Get(read.Utf8(2)), pool.Get(read.Utf8(3)), read.IsNull(4) ? null : pool.Get(read.Utf8(4)),
                        pool.Get(read.Utf8(5)), pool.Get(read.Utf8(6))));
            }
            if (assets.Count == 0) yield break;
            using var rows = new RawStatement(connection, $"""
                SELECT l.target_kind, l.target, u.email FROM licenses l
                LEFT JOIN vpp_users u ON l.target_kind = 0 AND u.token_key = $token AND u.client_user_id = l.target
                WHERE l.asset_key = $asset AND {string.Join(" AND ", rowWhere)} ORDER BY l.target_kind, l.target
                """);
            foreach (var (name, value) in rowParameters) rows.Bind(name, (string?)value);
            using var managed = new RawStatement(connection, """
                SELECT target_kind, target, reason FROM managed_licenses WHERE token_key = $t AND adam_id = $a AND pricing_param = $p ORDER BY target_kind, target
                """);
            var reasons = new LastUtf8String(pool);
            foreach (var asset in assets)
            {
                rows.Bind("$asset", asset.Key);
                rows.Bind("$token", asset.TokenKey);
                managed.Bind("$t", asset.TokenKey);
                managed.Bind("$a", asset.AdamId);
                managed.Bind("$p", asset.PricingParam);
                var more = managed.Read();
                while (rows.Read())
                {
                    var kind = rows.Int64(0);
                    var target = rows.Utf8(1);
                    // Both in (target_kind, target) order, texts as SQLite's BINARY collation orders them (bytes).
                    var order = -1;
                    while (more && (order = managed.Int64(0) != kind ? managed.Int64(0).CompareTo(kind) : managed.Utf8(1).SequenceCompareTo(target)) < 0)
                        more = managed.Read();
                    var reason = more && order == 0 ? reasons.Get(managed.Utf8(2)) : null;
                    var user = kind == 0;
                    yield return new LicenseHolder
                    {
                        Token = asset.Token,
                        AdamId = asset.AdamId,
                        Name = asset.Name,
                        PricingParam = asset.PricingParam,
                        ProductType = asset.ProductType,
                        TargetType = user ? LicenseTargetType.User : LicenseTargetType.Device,
                        Target = Encoding.UTF8.GetString(target),
                        // Only a user license has an e-mail address (the join says so): no column read for a device's.
                        UserEmail = user ? rows.Text(2) : null,
                        AssignedByVppPS = reason is not null,
                        Reason = reason ?? OutsideVppPS,
                    };
                }
                if (more) managed.Reset();
            }
            yield break;
        }
        var sql = $"""
            SELECT t.name, a.adam_id, m.name, a.pricing_param, a.product_type, l.target_kind, l.target, u.email, ml.reason
            FROM licenses l
            JOIN assets a ON a.asset_key = l.asset_key
            JOIN tokens t ON t.key = a.token_key
            LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
            {Users}
            LEFT JOIN managed_licenses ml ON ml.token_key = a.token_key AND ml.adam_id = a.adam_id AND ml.pricing_param = a.pricing_param
                 AND ml.target_kind = l.target_kind AND ml.target = l.target
            WHERE {string.Join(" AND ", assetWhere.Concat(rowWhere))}
            """;
        using var command = connection.Command(null, sql, assetParameters.Concat(rowParameters).ToArray());
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var reason = reader.GetStringOrNull(8);
            yield return new LicenseHolder
            {
                Token = reader.GetString(0),
                AdamId = reader.GetString(1),
                Name = reader.GetStringOrNull(2),
                PricingParam = reader.GetString(3),
                ProductType = reader.GetString(4),
                TargetType = reader.GetInt64(5) == 0 ? LicenseTargetType.User : LicenseTargetType.Device,
                Target = reader.GetString(6),
                UserEmail = reader.GetStringOrNull(7),
                AssignedByVppPS = reason is not null,
                Reason = reason ?? OutsideVppPS,
            };
        }
    }

    private const string OutsideVppPS = "assigned outside VppPS";

    /// <summary>For tests: read through DbDataReader, as on PostgreSQL, also on SQLite.</summary>
    internal bool PortableReads { get; init; }

    /// <summary>Whether long reads go through SQLite's own API (<see cref="RawStatement"/>) rather than the data reader.</summary>
    private bool RawReads(DbConnection connection) => !PortableReads && !connection.IsPostgres();

    /// <summary>
    /// VPP users with their license counts, token by token (by token name), each token's users in
    /// clientUserId order. A token's user licenses are counted first, in one pass (asset by asset,
    /// along the licenses' key), and each user takes its count as it is read: a count per user row
    /// looked each user up under every asset of the token and took 39 s for 50,000 users, and a
    /// grouped count in SQL sorted every user license on SQLite. When the filters leave a few users
    /// of a token (one looked up by e-mail), those are counted one by one instead (one lookup per
    /// asset of the token each). On SQLite the reads go through its own API, and the licenses'
    /// clientUserIds are counted and looked up by their bytes (<see cref="Utf8Index"/>) without
    /// making strings of them.
    /// </summary>
    public IReadOnlyList<VppUser> Users(string[]? statuses, string[]? tokenPatterns, string[]? emailPatterns, string[]? clientUserIds, Guid[]? tokenIds = null) => _store.Read(c =>
    {
        var tokenWhere = new List<string> { "1=1" };
        var tokenParameters = new List<(string, object?)>();
        AddAny(tokenWhere, tokenParameters, NameOrPattern("t.name"), "t", tokenPatterns);
        AddAny(tokenWhere, tokenParameters, "t.id = {0}", "tid", tokenIds?.Select(id => id.ToString()).ToArray());
        var tokens = new List<(long Key, string Name, string? Template)>();
        using (var command = c.Command(null, $"""
            SELECT t.key, t.name, s.invitation_template FROM tokens t LEFT JOIN sync_cursors s ON s.token_key = t.key
            WHERE {string.Join(" AND ", tokenWhere)} ORDER BY t.key
            """, tokenParameters.ToArray()))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) tokens.Add((reader.GetInt64(0), reader.GetString(1), reader.GetStringOrNull(2)));

        var where = new List<string> { "u.token_key = $k" };
        var parameters = new List<(string, object?)>();
        AddAny(where, parameters, "lower(u.status) = lower({0})", "s", statuses);
        AddAny(where, parameters, NameOrPattern("coalesce(u.email, '')"), "e", emailPatterns);
        AddAny(where, parameters, "u.client_user_id = {0}", "c", clientUserIds);
        var filtered = where.Count > 1;
        var sql = $"""
            SELECT u.client_user_id, u.email, u.status, u.invite_code, u.id_hash,
                   CASE WHEN mu.client_user_id IS NULL OR mu.adopted_at IS NOT NULL THEN 0 ELSE 1 END
            FROM vpp_users u LEFT JOIN managed_users mu ON mu.token_key = u.token_key AND mu.client_user_id = u.client_user_id
            WHERE {string.Join(" AND ", where)}
            ORDER BY u.client_user_id
            """;
        const string TokenUserLicenses = """
            SELECT l.target FROM assets a JOIN licenses l ON l.asset_key = a.asset_key AND l.target_kind = 0 WHERE a.token_key = $k
            """;
        var users = new List<VppUser>();
        var raw = RawReads(c);
        var pool = new Utf8StringPool();
        var statusTexts = new LastUtf8String(pool);
        // By token name (ties in key order), then by clientUserId within a token.
        foreach (var token in tokens.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase))
        {
            var tokenUserParameters = parameters.Append(("$k", (object?)token.Key)).ToArray();
            var matching = filtered ? c.Long(null, $"SELECT count(*) FROM vpp_users u WHERE {string.Join(" AND ", where)}", tokenUserParameters) : -1;
            if (matching == 0) continue;
            var first = users.Count;
            var countAll = matching < 0 || matching > FewUsers;
            if (raw)
            {
                // Sized for the token's users (most of the targets): the large arrays are allocated once,
                // not again at each doubling, which on a long list cost more in garbage collections than the copies.
                var expected = countAll ? (int)c.Long(null, "SELECT count(*) FROM vpp_users WHERE token_key = $k", ("$k", token.Key)) : 0;
                users.EnsureCapacity(users.Count + (matching < 0 ? expected : (int)matching));
                var targets = new Utf8Index(expected);
                var perTarget = new int[expected];
                if (countAll)
                {
                    using var licenses = new RawStatement(c, TokenUserLicenses);
                    licenses.Bind("$k", token.Key);
                    while (licenses.Read())
                    {
                        var number = targets.Add(licenses.Utf8(0));
                        if (number == perTarget.Length) Array.Resize(ref perTarget, Math.Max(1024, number * 2));
                        perTarget[number]++;
                    }
                }
                using var statement = new RawStatement(c, sql);
                foreach (var (name, value) in parameters) statement.Bind(name, (string?)value);
                statement.Bind("$k", token.Key);
                while (statement.Read())
                {
                    var clientUserId = statement.Utf8(0);
                    var count = targets.IndexOf(clientUserId) is var number and >= 0 ? perTarget[number] : 0;
                    users.Add(User(token.Name, token.Template, Encoding.UTF8.GetString(clientUserId), statement.Text(1), statusTexts.Get(statement.Utf8(2)),
                        statement.Text(3), statement.Text(4), statement.Int64(5) != 0, count));
                }
            }
            else
            {
                var perTarget = new Dictionary<string, long>(StringComparer.Ordinal);
                if (countAll)
                {
                    using var licenses = c.Command(null, $"SELECT target, count(*) FROM ({TokenUserLicenses}) l GROUP BY target", ("$k", token.Key));
                    using var counted = licenses.ExecuteReader();
                    while (counted.Read()) perTarget[counted.GetString(0)] = counted.GetInt64(1);
                }
                using var command = c.Command(null, sql, tokenUserParameters);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var clientUserId = reader.GetString(0);
                    users.Add(User(token.Name, token.Template, clientUserId, reader.GetStringOrNull(1), reader.GetString(2), reader.GetStringOrNull(3),
                        reader.GetStringOrNull(4), reader.GetInt64(5) != 0, perTarget.GetValueOrDefault(clientUserId)));
                }
            }
            if (!countAll)
            {
                // A few users: each counted under its token's assets.
                for (var i = first; i < users.Count; i++)
                    users[i] = users[i] with
                    {
                        LicenseCount = c.Long(null, """
                            SELECT count(*) FROM assets a JOIN licenses l ON l.asset_key = a.asset_key AND l.target_kind = 0 AND l.target = $c WHERE a.token_key = $k
                            """, ("$k", token.Key), ("$c", users[i].ClientUserId)),
                    };
            }
        }
        return users;
    });

    private static VppUser User(string token, string? template, string clientUserId, string? email, string status, string? inviteCode, string? idHash, bool managed, long licenseCount) => new()
    {
        Token = token,
        ClientUserId = clientUserId,
        Email = email,
        Status = status,
        InviteCode = inviteCode,
        InvitationUrl = status == "Registered" ? InvitationUrl(template, inviteCode) : null,
        IdHash = idHash,
        ManagedByVppPS = managed,
        LicenseCount = licenseCount,
    };

    /// <summary>When the filters leave more than this many users of a token, Users() counts every user license of the token rather than each user's by lookups.</summary>
    private const int FewUsers = 64;

    /// <summary>The errors for token names (no wildcards) that name no token.</summary>
    public IReadOnlyList<VppException> MissingTokens(IEnumerable<string>? names) => _store.Read(c =>
        (names ?? []).Select(n => AssetLookup.MissingToken(c, [n])).OfType<VppException>().ToList());

    /// <summary>The errors for names or adamIds (no wildcards) that match no app or book under the tokens given.</summary>
    public IReadOnlyList<VppException> MissingAssets(string? productType, IEnumerable<string>? names, string[]? tokenPatterns, Guid[]? tokenIds = null) => _store.Read(c =>
        (names ?? []).Where(n => !AssetLookup.HasWildcard(n)).Select(n => AssetLookup.Missing(c, n, productType, tokenPatterns, tokenIds)).OfType<VppException>().ToList());

    /// <summary>The errors for e-mail addresses or clientUserIds (no wildcards) that match no VPP user under the tokens given.</summary>
    public IReadOnlyList<VppException> MissingVppUsers(IEnumerable<string>? names, string[]? tokenPatterns, Guid[]? tokenIds = null) => _store.Read(c =>
        (names ?? []).Where(n => !AssetLookup.HasWildcard(n)).Select(n => AssetLookup.MissingVppUser(c, n, tokenPatterns, tokenIds)).OfType<VppException>().ToList());

    /// <summary>The errors for serial numbers that no license and no directory device has.</summary>
    public IReadOnlyList<VppException> MissingDevices(IEnumerable<string>? serialNumbers) => _store.Read(c =>
        (serialNumbers ?? []).Select(n => AssetLookup.MissingDevice(c, n)).OfType<VppException>().ToList());

    /// <summary>For tab completion: names of apps (or books) that start with <paramref name="prefix"/>, under the tokens matching <paramref name="tokenPattern"/> when given.</summary>
    public IReadOnlyList<NameSuggestion> AssetNames(string? productType, string prefix, string? tokenPattern, int limit) => _store.Read(c =>
    {
        var where = new List<string> { NameSuggestion.StartsWith("coalesce(m.name, a.adam_id)", "$prefix") };
        if (productType is not null) where.Add(productType == "Book" ? "a.product_type = 'Book'" : "a.product_type <> 'Book'");
        if (!string.IsNullOrEmpty(tokenPattern)) where.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, NameOrPattern("t.name"), "$token"));
        using var command = c.Command(null, $"""
            SELECT min(coalesce(m.name, a.adam_id)), min(a.product_type), group_concat(DISTINCT t.name)
            FROM assets a JOIN tokens t ON t.key = a.token_key LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
            WHERE {string.Join(" AND ", where)}
            GROUP BY lower(coalesce(m.name, a.adam_id)) ORDER BY lower(coalesce(m.name, a.adam_id)) LIMIT $limit
            """, ("$prefix", prefix), ("$token", tokenPattern), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var names = new List<NameSuggestion>();
        while (reader.Read()) names.Add(new NameSuggestion(reader.GetString(0), $"{reader.GetString(1)} under {reader.GetString(2)}"));
        return names;
    });

    /// <summary>For tab completion: e-mail addresses of VPP users that start with <paramref name="prefix"/>, under the tokens matching <paramref name="tokenPattern"/> when given.</summary>
    public IReadOnlyList<NameSuggestion> VppUserEmails(string prefix, string? tokenPattern, int limit) => _store.Read(c =>
    {
        var where = new List<string> { "u.email IS NOT NULL", NameSuggestion.StartsWith("u.email", "$prefix") };
        if (!string.IsNullOrEmpty(tokenPattern)) where.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, NameOrPattern("t.name"), "$token"));
        using var command = c.Command(null, $"""
            SELECT min(u.email), group_concat(DISTINCT u.status), group_concat(DISTINCT t.name)
            FROM vpp_users u JOIN tokens t ON t.key = u.token_key
            WHERE {string.Join(" AND ", where)}
            GROUP BY lower(u.email) ORDER BY lower(u.email) LIMIT $limit
            """, ("$prefix", prefix), ("$token", tokenPattern), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var names = new List<NameSuggestion>();
        while (reader.Read()) names.Add(new NameSuggestion(reader.GetString(0), $"VPP user ({reader.GetString(1)}) under {reader.GetString(2)}"));
        return names;
    });

    /// <summary>Apple's template carries %25inviteCode%25 (URL-encoded %inviteCode%); either form is replaced.</summary>
    public static string? InvitationUrl(string? template, string? inviteCode) =>
        template is null || inviteCode is null ? null
            : template.Replace("%25inviteCode%25", Uri.EscapeDataString(inviteCode), StringComparison.Ordinal)
                      .Replace("%inviteCode%", Uri.EscapeDataString(inviteCode), StringComparison.Ordinal);

    private static IReadOnlyList<LicensedAsset> Summarize(IReadOnlyList<LicensedAsset> rows) =>
        rows.GroupBy(r => (r.AdamId, r.PricingParam)).Select(g =>
        {
            var unlimited = g.Any(r => r.Unlimited);
            return g.First() with
            {
                Token = string.Join(", ", g.Select(r => r.Token)),
                TokenId = null,
                TotalCount = unlimited ? null : g.Sum(r => r.TotalCount),
                AssignedCount = g.Sum(r => r.AssignedCount),
                AvailableCount = unlimited ? null : g.Sum(r => r.AvailableCount),
                Unlimited = unlimited,
                RetiredCount = g.Sum(r => r.RetiredCount),
                DeviceAssignable = g.All(r => r.DeviceAssignable),
                Revocable = g.All(r => r.Revocable),
                TokenCount = g.Count(),
            };
        }).ToList();

    /// <summary>A column equal to a name, or matching it as a wildcard pattern ("[Main]" in a name still matches itself), case aside.</summary>
    /// <summary>The ids of the tokens whose names match any of the patterns, read as the other token filters read them.</summary>
    public IReadOnlySet<Guid> TokenIds(string[] tokenPatterns) => _store.Read(c =>
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        AddAny(where, parameters, NameOrPattern("t.name"), "t", tokenPatterns);
        using var command = c.Command(null, $"SELECT t.id FROM tokens t{(where.Count == 0 ? "" : " WHERE " + where[0])}", parameters.ToArray());
        using var reader = command.ExecuteReader();
        var ids = new HashSet<Guid>();
        while (reader.Read()) ids.Add(Guid.Parse(reader.GetString(0)));
        return (IReadOnlySet<Guid>)ids;
    });

    private static string NameOrPattern(string column) => $"(lower({column}) = lower({{0}}) OR glob(lower({{0}}), lower({column})))";

    /// <summary>Adds "(cond with value 1 OR cond with value 2 ...)" when values are given. PowerShell wildcards are close to GLOB.</summary>
    private static void AddAny(List<string> where, List<(string, object?)> parameters, string condition, string prefix, string[]? values)
    {
        if (values is null || values.Length == 0) return;
        var parts = new List<string>();
        for (var i = 0; i < values.Length; i++)
        {
            var name = $"${prefix}{i}";
            parameters.Add((name, values[i]));
            parts.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, condition, name));
        }
        where.Add("(" + string.Join(" OR ", parts) + ")");
    }
}
