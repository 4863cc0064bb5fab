using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace VppPS.Engine.Tokens;

/// <summary>
/// A decoded .vpptoken ("sToken"): Base64 of UTF-8 JSON with token, expDate and orgName.
/// <see cref="Bearer"/> is the whole Base64 text, which is what Apple expects in the
/// Authorization header. ToString never shows the secret.
/// </summary>
public sealed partial class ContentTokenFile
{
    /// <summary>Real files are a few hundred bytes; anything this big is not a token.</summary>
    public const int MaxFileBytes = 64 * 1024;

    private ContentTokenFile(string bearer, string organizationName, DateTimeOffset expiresAt)
    {
        Bearer = bearer;
        OrganizationName = organizationName;
        ExpiresAt = expiresAt;
    }

    /// <summary>The secret: the Base64 content, without white space.</summary>
    public string Bearer { get; }
    public string OrganizationName { get; }
    public DateTimeOffset ExpiresAt { get; }

    public override string ToString() => $"content token of {OrganizationName}, expires {ExpiresAt:yyyy-MM-dd}";

    /// <summary>Reads and decodes a token file, with a clear error for every kind of bad file.</summary>
    public static ContentTokenFile Read(string path)
    {
        if (Directory.Exists(path))
            throw Bad("VppTokenFileIsDirectory", $"'{path}' is a folder, not a .vpptoken file. Give the path of the file downloaded from Apple Business / Apple School Manager.", path);
        if (!File.Exists(path))
            throw new VppException(VppErrorKind.NotFound, "VppTokenFileNotFound", $"The token file '{path}' does not exist. Check the path.", path);
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw Bad("VppTokenFileTooLarge", $"'{path}' is {length:N0} bytes; a content token is a few hundred bytes. Check that you chose the .vpptoken file.", path);
        string text;
        try { text = File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad("VppTokenFileUnreadable", $"'{path}' cannot be read: {e.Message}", path);
        }
        return Parse(text, path);
    }

    /// <summary>Decodes token text (file content or a pasted string); <paramref name="source"/> names it in errors.</summary>
    public static ContentTokenFile Parse(string text, string source)
    {
        // Tolerate a BOM, surrounding white space, CRLF and Base64 wrapped over several lines.
        var bearer = WhiteSpace().Replace(text.TrimStart('\uFEFF'), "");
        if (bearer.Length == 0)
            throw Bad("VppTokenFileEmpty", $"{source} is empty. Download the content token again from Apple Business / Apple School Manager.", source);
        byte[] decoded;
        try { decoded = Convert.FromBase64String(bearer); }
        catch (FormatException)
        {
            throw Bad("VppTokenNotBase64", $"{source} is not a content token: its content is not Base64. A .vpptoken file holds one Base64 string; download it again from Apple Business / Apple School Manager.", source);
        }
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(decoded);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw Bad("VppTokenNotJson", $"{source} is Base64, but what it decodes to is not the JSON of a content token. Download the token again.", source);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw Bad("VppTokenNotJson", $"{source} does not decode to a JSON object with token, expDate and orgName. Download the token again.", source);

        var missing = new[] { "token", "expDate", "orgName" }.Where(f => !root.TryGetProperty(f, out var v) || v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0).ToList();
        if (missing.Count > 0)
            throw Bad("VppTokenIncomplete", $"{source} lacks {string.Join(", ", missing)}: it is not a complete content token. Download it again.", source);

        var expText = root.GetProperty("expDate").GetString()!;
        if (!TryParseAppleDate(expText, out var expires))
            throw Bad("VppTokenBadExpiry", $"{source} has an expiry date '{expText}' that is not an ISO-8601 date. Download the token again.", source);
        return new ContentTokenFile(bearer, root.GetProperty("orgName").GetString()!, expires);
    }

    /// <summary>Apple writes offsets as +hhmm ("2030-11-08T22:33:22+0000"); +hh:mm and Z occur too.</summary>
    public static bool TryParseAppleDate(string text, out DateTimeOffset value)
    {
        var normalized = CompactOffset().Replace(text.Trim(), "$1:$2");
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private static VppException Bad(string id, string message, string target) => new(VppErrorKind.InvalidArgument, id, message, target);

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"([+-]\d{2})(\d{2})$")]
    private static partial Regex CompactOffset();
}
