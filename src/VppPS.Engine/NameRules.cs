using System.Globalization;
using System.Text;

namespace VppPS.Engine;

/// <summary>
/// The one check of names people give VppPS (token names, group names and descriptions, display
/// and device names): at most <see cref="MaxLength"/> characters, no control characters (Unicode
/// category Cc) and no bidirectional formatting characters, which make a name display as
/// something other than what it is.
/// </summary>
public static class NameRules
{
    /// <summary>The most characters of a name.</summary>
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="value"/> cannot be a <paramref name="what"/> ("token name"), as a VppException with <paramref name="errorId"/>; null when it can.</summary>
    public static VppException? Check(string value, string what, string errorId)
    {
        string? problem = null;
        if (value.Length > MaxLength)
            problem = $"it is {value.Length:N0} characters long, and a {what} has at most {MaxLength}";
        else
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (char.GetUnicodeCategory(c) == UnicodeCategory.Control)
                    problem = $"it holds the control character U+{(int)c:X4} at position {i + 1}; a {what} cannot hold control characters (tabs, line breaks and the like)";
                else if (IsBidiControl(c))
                    problem = $"it holds the bidirectional formatting character U+{(int)c:X4} at position {i + 1}, which makes text display in another order than it is written; a {what} cannot hold it";
                if (problem is not null) break;
            }
        return problem is null ? null : new VppException(VppErrorKind.InvalidArgument, errorId, $"'{Printable(value)}' cannot be a {what}: {problem}.", Printable(value));
    }

    /// <summary>Throws <see cref="Check"/>'s refusal, if any.</summary>
    public static void Ensure(string value, string what, string errorId)
    {
        if (Check(value, what, errorId) is { } problem) throw problem;
    }

    /// <summary>The bidirectional formatting characters: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM and ALM.</summary>
    public static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    /// <summary>A name fit for a message: control and bidirectional characters as \uXXXX, and long names cut.</summary>
    public static string Printable(string value)
    {
        const int Shown = 40;
        var text = new StringBuilder();
        foreach (var c in value.Length > Shown ? value[..Shown] : value)
            text.Append(char.GetUnicodeCategory(c) == UnicodeCategory.Control || IsBidiControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        if (value.Length > Shown) text.Append($"... ({value.Length:N0} characters)");
        return text.ToString();
    }
}
