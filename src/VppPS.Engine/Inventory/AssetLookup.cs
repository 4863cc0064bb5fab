using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Inventory;

/// <summary>
/// Why a name given for an app or book, a token or a VPP user matches nothing, in the words the
/// cmdlets write: the token is unknown, the app is a custom B2B app (skipped by design), or no
/// synced app has that name. Names are compared as the inventory queries compare them (equal
/// case aside, or matching as a pattern).
/// </summary>
public static class AssetLookup
{
    /// <summary>
    /// Null when an app or book (<paramref name="productType"/> "App", "Book" or null for both) has
    /// <paramref name="nameOrAdamId"/> as its name or adamId under the tokens given (all when none);
    /// otherwise the error that says what is wrong.
    /// </summary>
    public static VppException? Missing(DbConnection c, string nameOrAdamId, string? productType, string[]? tokenPatterns, Guid[]? tokenIds)
    {
        var parameters = new List<(string, object?)> { ("$n", nameOrAdamId) };
        var tokens = TokenCondition(tokenPatterns, tokenIds, parameters);
        var type = productType is null ? "" : productType == "Book" ? " AND a.product_type = 'Book'" : " AND a.product_type <> 'Book'";
        if (Convert.ToInt64(c.Scalar(null, $"""
                SELECT EXISTS (SELECT 1 FROM assets a JOIN tokens t ON t.key = a.token_key LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
                WHERE (a.adam_id = $n OR lower(coalesce(m.name, '')) = lower($n)){type}{tokens})
                """, parameters.ToArray())) != 0)
            return null;
        var under = UnderText(tokenPatterns, tokenIds);
        if (tokenPatterns is { Length: > 0 } && MissingToken(c, tokenPatterns) is { } unknownToken) return unknownToken;
        var skipped = (string?)c.Scalar(null, $"""
            SELECT s.reason FROM skipped_assets s JOIN tokens t ON t.key = s.token_key LEFT JOIN asset_metadata m ON m.adam_id = s.adam_id
            WHERE (s.adam_id = $n OR lower(coalesce(m.name, '')) = lower($n)){tokens} LIMIT 1
            """, parameters.ToArray());
        if (skipped is not null)
            return new VppException(VppErrorKind.InvalidArgument, "VppAppSkipped",
                $"'{nameOrAdamId}' is a custom B2B app{under}: VppPS skips custom B2B apps by design ({skipped}), so it is neither listed nor assigned. " +
                "Distribute it with your MDM's custom app support.", nameOrAdamId);
        var what = productType switch { "App" => "app", "Book" => "book", _ => "app or book" };
        return new VppException(VppErrorKind.NotFound, "VppAppNotFound",
            $"No synced {what} matches '{nameOrAdamId}'{under}. Check the name with Get-VppLicensed{(productType == "Book" ? "Book" : "App")}, or run Sync-VppToken first.",
            nameOrAdamId);
    }

    /// <summary>The error for the first of <paramref name="tokenNames"/> (no wildcards) that names no token; null when each names one.</summary>
    public static VppException? MissingToken(DbConnection c, IEnumerable<string> tokenNames)
    {
        foreach (var name in tokenNames)
        {
            if (HasWildcard(name)) continue;
            if (Convert.ToInt64(c.Scalar(null, "SELECT EXISTS (SELECT 1 FROM tokens WHERE lower(name) = lower($n))", ("$n", name))) == 0)
                return TokenNotFound(name);
        }
        return null;
    }

    public static VppException TokenNotFound(string name) =>
        new(VppErrorKind.NotFound, "VppTokenNotFound", $"No token is named '{name}'. Run Get-VppToken to list the tokens.", name);

    /// <summary>
    /// Null when a VPP user has <paramref name="emailOrClientUserId"/> as e-mail address or
    /// clientUserId under the tokens given; otherwise the error.
    /// </summary>
    public static VppException? MissingVppUser(DbConnection c, string emailOrClientUserId, string[]? tokenPatterns, Guid[]? tokenIds)
    {
        var parameters = new List<(string, object?)> { ("$n", emailOrClientUserId) };
        var tokens = TokenCondition(tokenPatterns, tokenIds, parameters);
        if (Convert.ToInt64(c.Scalar(null, $"""
                SELECT EXISTS (SELECT 1 FROM vpp_users u JOIN tokens t ON t.key = u.token_key
                WHERE (u.client_user_id = $n OR lower(coalesce(u.email, '')) = lower($n)){tokens})
                """, parameters.ToArray())) != 0)
            return null;
        if (tokenPatterns is { Length: > 0 } && MissingToken(c, tokenPatterns) is { } unknownToken) return unknownToken;
        return new VppException(VppErrorKind.NotFound, "VppUserNotFound",
            $"No VPP user has the e-mail address or clientUserId '{emailOrClientUserId}'{UnderText(tokenPatterns, tokenIds)}. Run Get-VppUser to list them, or Sync-VppToken to read new ones.",
            emailOrClientUserId);
    }

    /// <summary>Null when a license or a directory device has the serial number; otherwise the error.</summary>
    public static VppException? MissingDevice(DbConnection c, string serialNumber) =>
        Convert.ToInt64(c.Scalar(null, """
            SELECT EXISTS (SELECT 1 FROM directory_devices WHERE serial_number = upper($s))
                OR EXISTS (SELECT 1 FROM licenses WHERE target_kind = 1 AND target = upper($s))
            """, ("$s", serialNumber))) != 0
            ? null
            : new VppException(VppErrorKind.NotFound, "VppDeviceNotFound",
                $"No license and no directory device has the serial number '{serialNumber}'. Check it with Get-VppDevice.", serialNumber);

    /// <summary>Wildcard characters as the inventory queries read patterns (GLOB: * ? [).</summary>
    public static bool HasWildcard(string text) => text.IndexOfAny(['*', '?', '[']) >= 0;

    private static string TokenCondition(string[]? tokenPatterns, Guid[]? tokenIds, List<(string, object?)> parameters)
    {
        var parts = new List<string>();
        if (tokenPatterns is { Length: > 0 })
        {
            var any = new List<string>();
            for (var i = 0; i < tokenPatterns.Length; i++)
            {
                any.Add($"(lower(t.name) = lower($t{i}) OR glob(lower($t{i}), lower(t.name)))");
                parameters.Add(($"$t{i}", tokenPatterns[i]));
            }
            parts.Add("(" + string.Join(" OR ", any) + ")");
        }
        if (tokenIds is { Length: > 0 })
        {
            var any = new List<string>();
            for (var i = 0; i < tokenIds.Length; i++)
            {
                any.Add($"t.id = $tid{i}");
                parameters.Add(($"$tid{i}", tokenIds[i].ToString()));
            }
            parts.Add("(" + string.Join(" OR ", any) + ")");
        }
        return parts.Count == 0 ? "" : " AND " + string.Join(" AND ", parts);
    }

    private static string UnderText(string[]? tokenPatterns, Guid[]? tokenIds) =>
        tokenPatterns is { Length: > 0 } ? $" under '{string.Join("', '", tokenPatterns)}'" : tokenIds is { Length: > 0 } ? " under the token(s) given" : "";
}
