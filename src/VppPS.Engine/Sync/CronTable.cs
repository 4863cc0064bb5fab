namespace VppPS.Engine.Sync;

/// <summary>
/// Edits a crontab's text: finds, puts or removes VppPS's line and leaves every other line
/// (comments, variables, other jobs) exactly as it was.
/// </summary>
public static class CronTable
{
    public static IReadOnlyList<string> Lines(string table) =>
        table.Length == 0 ? [] : table.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    public static string? FindEntry(string table) => Lines(table).FirstOrDefault(CronEntry.IsVppLine);

    /// <summary>The table with VppPS's line replaced by <paramref name="entry"/> (or appended): never two of them.</summary>
    public static string WithEntry(string table, string entry)
    {
        var lines = new List<string>();
        var placed = false;
        foreach (var line in Lines(table))
        {
            if (!CronEntry.IsVppLine(line)) { lines.Add(line); continue; }
            if (!placed) { lines.Add(entry); placed = true; }
        }
        if (!placed) lines.Add(entry);
        return Join(lines);
    }

    /// <summary>The table without VppPS's line(s).</summary>
    public static string WithoutEntry(string table) => Join(Lines(table).Where(l => !CronEntry.IsVppLine(l)).ToList());

    // crontab needs the last line to end in a newline, or it ignores (or refuses) that line.
    private static string Join(IReadOnlyList<string> lines) => lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
}
