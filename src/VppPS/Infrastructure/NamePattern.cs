using System.Management.Automation;

namespace VppPS.Infrastructure;

/// <summary>
/// A name or a wildcard pattern, as users give them and as names arrive from the pipeline: case
/// does not matter, and a name that holds wildcard characters ("District Office [Main]") still
/// matches itself, where as a pattern its brackets would make it match something else.
/// </summary>
internal sealed class NamePattern(string text)
{
    private readonly WildcardPattern _pattern = new(text, WildcardOptions.IgnoreCase);

    public bool IsMatch(string? value) =>
        value is not null && (string.Equals(value, text, StringComparison.OrdinalIgnoreCase) || _pattern.IsMatch(value));

    /// <summary>The patterns of a parameter; null when none was given (no filter).</summary>
    public static List<NamePattern>? From(string[]? texts) =>
        texts is null || texts.Length == 0 ? null : texts.Select(t => new NamePattern(t)).ToList();
}
