using System.Text.Json;

namespace VppPS.Engine.Apple.Metadata;

/// <summary>Lenient readers for the metadata answers, whose shapes vary between products and sources.</summary>
internal static class MetadataJson
{
    public const int IconSize = 512;

    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static bool? Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    public static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    public static IReadOnlyList<string> Strings(JsonElement element, string name) =>
        Child(element, name) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : [];

    /// <summary>
    /// A 512x512 png icon URL from either artwork shape: an object whose url is a template
    /// ("…/{w}x{h}bb.{f}"), or an array of {width, height, url} (the one closest to 512 wins).
    /// </summary>
    public static string? IconUrl(JsonElement artwork)
    {
        if (artwork.ValueKind == JsonValueKind.Object)
            return FillTemplate(String(artwork, "url"));
        if (artwork.ValueKind != JsonValueKind.Array)
            return null;
        var best = artwork.EnumerateArray()
            .Where(a => String(a, "url") is not null)
            .OrderBy(a => Math.Abs(Width(a) - IconSize))
            .Select(a => String(a, "url"))
            .FirstOrDefault();
        return FillTemplate(best);
    }

    private static int Width(JsonElement artwork) =>
        Child(artwork, "width") is { ValueKind: JsonValueKind.Number } width && width.TryGetInt32(out var w) ? w : 0;

    private static string? FillTemplate(string? url) =>
        url?.Replace("{w}", IconSize.ToString(), StringComparison.Ordinal)
            .Replace("{h}", IconSize.ToString(), StringComparison.Ordinal)
            .Replace("{f}", "png", StringComparison.Ordinal);
}
