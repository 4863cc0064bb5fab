using System.Globalization;
using System.Text;

namespace VppPS.Engine;

/// <summary>
/// The one check of names people give VppPS (token names, group names and descriptions, display
/// and device names): at least one visible character, at most <see cref="MaxLength"/> characters,
/// and none of the characters that make a name display as something other than what it is:
/// control characters (Unicode category Cc), format characters (Cf: the bidirectional controls,
/// zero-width spaces, the byte order mark) and line and paragraph separators (Zl, Zp). A zero-width
/// non-joiner or joiner between two letters outside ASCII (as Persian and Indic scripts write them)
/// is part of the word and passes.
/// </summary>
public static class NameRules
{
    /// <summary>The most characters of a name.</summary>
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="value"/> cannot be a <paramref name="what"/> ("token name"), as a VppException with <paramref name="errorId"/>; null when it can.</summary>
    public static VppException? Check(string value, string what, string errorId)
    {
        var problem = value.Length > MaxLength
            ? $"it is {value.Length:N0} characters long, and a {what} has at most {MaxLength}"
            : HiddenCharacterProblem(value, what, allowJoiners: true);
        return problem is null ? null : new VppException(VppErrorKind.InvalidArgument, errorId, $"'{Printable(value)}' cannot be a {what}: {problem}.", Printable(value));
    }

    /// <summary>Throws <see cref="Check"/>'s refusal, if any.</summary>
    public static void Ensure(string value, string what, string errorId)
    {
        if (Check(value, what, errorId) is { } problem) throw problem;
    }

    /// <summary>
    /// Why <paramref name="value"/> cannot be a <paramref name="what"/> for the characters it holds
    /// (empty or only white space; a character of Cc, Cf, Zl or Zp), in words that end with what to
    /// do; null when nothing is wrong. With <paramref name="allowJoiners"/>, a zero-width non-joiner or
    /// joiner between two non-ASCII letters passes (keys such as UPNs pass false).
    /// </summary>
    internal static string? HiddenCharacterProblem(string value, string what, bool allowJoiners)
    {
        if (string.IsNullOrWhiteSpace(value))
            return value.Length == 0
                ? $"it is empty; give a {what} of at least one visible character"
                : $"it is only white space; give a {what} of at least one visible character";
        for (var i = 0; i < value.Length; i += char.IsSurrogatePair(value, i) ? 2 : 1)
        {
            var c = value[i];
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out _) != System.Buffers.OperationStatus.Done)
                return $"it holds the unpaired surrogate U+{(int)c:X4} at position {i + 1}, which is not a character; type it again";
            var at = $"U+{rune.Value:X4} at position {i + 1}";
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.Control:
                    return $"it holds the control character {at}; a {what} cannot hold control characters (tabs, line breaks and the like): type it again without it";
                case UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator:
                    return $"it holds the line or paragraph separator {at}; a {what} is one line: type it again without it";
                case UnicodeCategory.Format when IsBidiControl(c):
                    return $"it holds the bidirectional formatting character {at}, which makes text display in another order than it is written; a {what} cannot hold it: type it again without it";
                case UnicodeCategory.Format when !(allowJoiners && IsJoinerInWord(value, i)):
                    return $"it holds the invisible formatting character {at} (such as a zero-width space or a byte order mark), which makes it look like another {what}; a {what} cannot hold it: type it again without it";
            }
        }
        return null;
    }

    /// <summary>The bidirectional formatting characters: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM and ALM.</summary>
    public static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    /// <summary>Whether the character at <paramref name="i"/> is a zero-width non-joiner or joiner between two letters (or combining marks) outside ASCII.</summary>
    private static bool IsJoinerInWord(string value, int i)
    {
        static bool WordCharacter(char c) => c > '\u007F' && (char.IsLetter(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark);
        return value[i] is '\u200C' or '\u200D' && i > 0 && i + 1 < value.Length && WordCharacter(value[i - 1]) && WordCharacter(value[i + 1]);
    }

    /// <summary>A name fit for a message: control, format and separator characters (and unpaired surrogates) as \uXXXX, and long names cut.</summary>
    public static string Printable(string value)
    {
        const int Shown = 40;
        var shown = value.Length > Shown ? value[..Shown] : value;
        var text = new StringBuilder();
        for (var i = 0; i < shown.Length; i++)
        {
            if (Rune.DecodeFromUtf16(shown.AsSpan(i), out var rune, out var length) != System.Buffers.OperationStatus.Done)
            {
                text.Append($"\\u{(int)shown[i]:X4}");
                continue;
            }
            text.Append(Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                ? (rune.IsBmp ? $"\\u{rune.Value:X4}" : $"\\U{rune.Value:X8}")
                : rune.ToString());
            i += length - 1;
        }
        if (value.Length > Shown) text.Append($"... ({value.Length:N0} characters)");
        return text.ToString();
    }
}
