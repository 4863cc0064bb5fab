using System.Text;

namespace VppPS.Infrastructure;

/// <summary>
/// Text for the table cells of module/VppPS.format.ps1xml. PowerShell wraps a value longer than
/// its column at the column's width, mid-word ("Riverside High S" / "chool"); a value given as
/// lines that each fit the column is shown line by line, so it breaks between words instead.
/// </summary>
public static class CellText
{
    /// <summary>
    /// The value's words on lines of at most <paramref name="width"/> characters; a word longer
    /// than the width is broken after its hyphens and colons and before an @ when it has them, else
    /// left whole on its own line.
    /// </summary>
    public static string Wrap(object? value, int width)
    {
        var text = value?.ToString();
        if (string.IsNullOrEmpty(text) || width < 1 || (text.Length <= width && text.IndexOf('\n') < 0)) return text ?? "";
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var line = new StringBuilder();
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var joined = false;
                foreach (var piece in Pieces(word, width))
                {
                    // A piece after the first of a word follows it without a space.
                    var gap = line.Length > 0 && !joined ? 1 : 0;
                    if (line.Length > 0 && line.Length + gap + piece.Length > width)
                    {
                        lines.Add(line.ToString());
                        line.Clear();
                        gap = 0;
                    }
                    line.Append(' ', gap).Append(piece);
                    joined = true;
                }
            }
            lines.Add(line.ToString());
        }
        return string.Join("\n", lines);
    }

    /// <summary>
    /// A word that fits; or one too long, cut after its hyphens and colons and before an @
    /// ("Unregister-" "VppSyncSchedule", "user:" "ann" "@district.example").
    /// </summary>
    private static IEnumerable<string> Pieces(string word, int width)
    {
        if (word.Length <= width) return [word];
        var pieces = new List<string>();
        var start = 0;
        for (var i = 1; i < word.Length; i++)
        {
            if (word[i - 1] is '-' or ':' || word[i] == '@')
            {
                pieces.Add(word[start..i]);
                start = i;
            }
        }
        pieces.Add(word[start..]);
        return pieces;
    }
}
