using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace VppPS.Engine.Sync;

/// <summary>
/// The one line VppPS keeps in the user's crontab:
/// <c>M */N * * * [VPPPS_HOME='...' ]'/path/to/pwsh' -NoProfile -NonInteractive -Command '...' >> 'log' 2>&amp;1 # VppPS sync (managed by Register-VppSyncSchedule)</c>.
/// Every path is single-quoted for sh; a % is escaped as \% because cron turns a bare % into a line break.
/// </summary>
public static partial class CronEntry
{
    public const string Marker = "# VppPS sync (managed by Register-VppSyncSchedule)";

    public static string Expression(int intervalHours, int minute) =>
        $"{minute.ToString(CultureInfo.InvariantCulture)} */{SyncCommand.Hours(intervalHours)} * * *";

    /// <summary>The command part (what sh runs), before cron's % escaping.</summary>
    public static string Command(SyncScheduleRequest request)
    {
        SyncCommand.CheckPath(request.LogPath, "log path");
        SyncCommand.CheckPath(request.Module, "module path");
        SyncCommand.CheckPath(request.PwshPath, "pwsh path");
        var words = new List<string>();
        if (request.DataFolder is { } home)
        {
            SyncCommand.CheckPath(home, "data folder");
            words.Add("VPPPS_HOME=" + ShQuote(home));
        }
        words.Add(ShQuote(request.PwshPath));
        words.AddRange(["-NoProfile", "-NonInteractive", "-Command", ShQuote(SyncCommand.ImportAndSync(request.Module))]);
        words.AddRange([">>", ShQuote(request.LogPath), "2>&1"]);
        return string.Join(' ', words);
    }

    /// <summary>The crontab line for <paramref name="request"/>.</summary>
    public static string Build(SyncScheduleRequest request)
    {
        SyncCommand.ValidateInterval(request.IntervalHours);
        var expression = Expression(request.IntervalHours, SyncCommand.StableMinute(request.InstallationId));
        return $"{expression} {EscapePercent(Command(request))} {Marker}";
    }

    public static bool IsVppLine(string line) => line.TrimEnd().EndsWith(Marker, StringComparison.Ordinal);

    /// <summary>Reads VppPS's line back; null when <paramref name="line"/> is not VppPS's.</summary>
    public static VppSyncSchedule? Parse(string line, bool registered = true)
    {
        if (!IsVppLine(line)) return null;
        var body = line.TrimEnd();
        body = body[..^Marker.Length].Trim();
        var fields = body.Split((char[]?)null, 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6) return null;
        var expression = string.Join(' ', fields[..5]);
        var command = UnescapePercent(fields[5].Trim());
        var log = LogRedirection().Match(command) is { Success: true } m ? ShUnquote(m.Groups[1].Value) : null;
        var words = ShWord().Matches(command).Select(w => w.Value).ToList();
        var program = words.Where(w => !w.StartsWith("VPPPS_HOME=", StringComparison.Ordinal)).Select(ShUnquote).FirstOrDefault();
        var script = words.IndexOf("-Command") is var at and >= 0 && at + 1 < words.Count ? ShUnquote(words[at + 1]) : null;
        return new VppSyncSchedule
        {
            Platform = SyncSchedulePlatform.Cron,
            IntervalHours = IntervalOf(fields[1]),
            Schedule = expression,
            Command = command,
            LogPath = log,
            PwshPath = program,
            Module = script is null ? null : ScheduledPowerShell.ImportedModule(script),
            Registered = registered,
            Entry = line.TrimEnd(),
        };
    }

    /// <summary>Hours between runs from cron's hour field: */N, *, an evenly spaced list, or one hour (daily).</summary>
    internal static int? IntervalOf(string hourField)
    {
        if (hourField == "*") return 1;
        if (hourField.StartsWith("*/", StringComparison.Ordinal))
            return int.TryParse(hourField[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
        var parts = hourField.Split(',');
        var hours = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h > 23) return null;
            hours.Add(h);
        }
        if (hours.Count == 1) return 24;
        hours.Sort();
        var gap = hours[1] - hours[0];
        for (var i = 1; i < hours.Count; i++)
            if (hours[i] - hours[i - 1] != gap) return null;
        return gap > 0 && hours[^1] + gap - 24 == hours[0] ? gap : null;
    }

    /// <summary>A word single-quoted for sh: it' s → 'it'\''s'.</summary>
    public static string ShQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Undoes <see cref="ShQuote"/> (and plain backslash escapes) for one sh word.</summary>
    public static string ShUnquote(string word)
    {
        var result = new StringBuilder();
        for (var i = 0; i < word.Length; i++)
        {
            var ch = word[i];
            if (ch == '\'')
            {
                var end = word.IndexOf('\'', i + 1);
                if (end < 0) end = word.Length;
                result.Append(word, i + 1, end - i - 1);
                i = end;
            }
            else if (ch == '\\' && i + 1 < word.Length) result.Append(word[++i]);
            else result.Append(ch);
        }
        return result.ToString();
    }

    /// <summary>cron turns an unescaped % in the command into a line break; \% is a literal %.</summary>
    public static string EscapePercent(string command) => command.Replace("%", "\\%", StringComparison.Ordinal);

    public static string UnescapePercent(string command) => command.Replace("\\%", "%", StringComparison.Ordinal);

    [GeneratedRegex(@"(?:'[^']*'|\\.|[^\s'\\])+")]
    private static partial Regex ShWord();

    [GeneratedRegex(@">>\s*((?:'[^']*'|\\.|[^\s'\\])+)\s+2>&1\s*$")]
    private static partial Regex LogRedirection();
}
