using Microsoft.Data.Sqlite;
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
    bool OverAssigned = false);

/// <summary>Filters of Get-VppLicense.</summary>
public sealed record LicenseFilter(
    string[]? AppPatterns = null,
    string[]? Users = null,
    string[]? Devices = null,
    string[]? TokenPatterns = null);

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
        var where = new List<string> { "1=1" };
        var parameters = new List<(string, object?)>();
        AddAny(where, parameters, "(a.adam_id = {0} OR " + NameOrPattern("coalesce(m.name, '')") + ")", "app", filter.AppPatterns);
        AddAny(where, parameters, "(l.target_kind = 0 AND (l.target = {0} OR lower(coalesce(u.email, '')) = lower({0})))", "user", filter.Users);
        AddAny(where, parameters, "(l.target_kind = 1 AND upper(l.target) = upper({0}))", "device", filter.Devices);
        AddAny(where, parameters, NameOrPattern("t.name"), "t", filter.TokenPatterns);
        var sql = $"""
            SELECT t.name, a.adam_id, m.name, a.pricing_param, a.product_type, l.target_kind, l.target, u.email, ml.reason
            FROM licenses l
            JOIN assets a ON a.asset_key = l.asset_key
            JOIN tokens t ON t.key = a.token_key
            LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
            LEFT JOIN vpp_users u ON l.target_kind = 0 AND u.token_key = a.token_key AND u.client_user_id = l.target
            LEFT JOIN managed_licenses ml ON ml.token_key = a.token_key AND ml.adam_id = a.adam_id AND ml.pricing_param = a.pricing_param
                 AND ml.target_kind = l.target_kind AND ml.target = l.target
            WHERE {string.Join(" AND ", where)}
            """;
        using var connection = _store.OpenConnection();
        using var command = connection.Command(null, sql, parameters.ToArray());
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
                Reason = reason ?? "assigned outside VppPS",
            };
        }
    }

    public IReadOnlyList<VppUser> Users(string[]? statuses, string[]? tokenPatterns, string[]? emailPatterns, string[]? clientUserIds) => _store.Read(c =>
    {
        var where = new List<string> { "1=1" };
        var parameters = new List<(string, object?)>();
        AddAny(where, parameters, "lower(u.status) = lower({0})", "s", statuses);
        AddAny(where, parameters, NameOrPattern("t.name"), "t", tokenPatterns);
        AddAny(where, parameters, NameOrPattern("coalesce(u.email, '')"), "e", emailPatterns);
        AddAny(where, parameters, "u.client_user_id = {0}", "c", clientUserIds);
        var sql = $"""
            SELECT t.name, u.client_user_id, u.email, u.status, u.invite_code, u.id_hash, s.invitation_template,
                   EXISTS (SELECT 1 FROM managed_users mu WHERE mu.token_key = u.token_key AND mu.client_user_id = u.client_user_id),
                   (SELECT count(*) FROM licenses l JOIN assets a ON a.asset_key = l.asset_key
                    WHERE a.token_key = u.token_key AND l.target_kind = 0 AND l.target = u.client_user_id)
            FROM vpp_users u JOIN tokens t ON t.key = u.token_key LEFT JOIN sync_state s ON s.token_key = u.token_key
            WHERE {string.Join(" AND ", where)}
            ORDER BY lower(t.name), u.client_user_id
            """;
        using var command = c.Command(null, sql, parameters.ToArray());
        using var reader = command.ExecuteReader();
        var users = new List<VppUser>();
        while (reader.Read())
        {
            var status = reader.GetString(3);
            var invite = reader.GetStringOrNull(4);
            users.Add(new VppUser
            {
                Token = reader.GetString(0),
                ClientUserId = reader.GetString(1),
                Email = reader.GetStringOrNull(2),
                Status = status,
                InviteCode = invite,
                InvitationUrl = status == "Registered" ? InvitationUrl(reader.GetStringOrNull(6), invite) : null,
                IdHash = reader.GetStringOrNull(5),
                ManagedByVppPS = reader.GetInt64(7) != 0,
                LicenseCount = reader.GetInt64(8),
            });
        }
        return users;
    });

    /// <summary>For tab completion: names of apps (or books) that start with <paramref name="prefix"/>, under the tokens matching <paramref name="tokenPattern"/> when given.</summary>
    public IReadOnlyList<NameSuggestion> AssetNames(string? productType, string prefix, string? tokenPattern, int limit) => _store.Read(c =>
    {
        var where = new List<string> { NameSuggestion.StartsWith("coalesce(m.name, a.adam_id)", "$prefix") };
        if (productType is not null) where.Add(productType == "Book" ? "a.product_type = 'Book'" : "a.product_type <> 'Book'");
        if (!string.IsNullOrEmpty(tokenPattern)) where.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, NameOrPattern("t.name"), "$token"));
        using var command = c.Command(null, $"""
            SELECT coalesce(m.name, a.adam_id), min(a.product_type), group_concat(DISTINCT t.name)
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
            SELECT u.email, group_concat(DISTINCT u.status), group_concat(DISTINCT t.name)
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
    private static string NameOrPattern(string column) => $"(lower({column}) = lower({{0}}) OR lower({column}) GLOB lower({{0}}))";

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
