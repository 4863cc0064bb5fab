using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VppPS.Engine.Sync;

/// <summary>
/// What every scheduled sync shares, whatever the scheduler: the intervals allowed, the
/// installation's minute past the hour, the PowerShell that runs it, and the script it runs.
/// </summary>
public static class SyncCommand
{
    /// <summary>The command the schedule runs once the module is imported.</summary>
    public const string SyncInvocation = "Sync-VppToken -All";

    /// <summary>Intervals that repeat evenly through every day (cron's */N restarts at midnight).</summary>
    public static readonly IReadOnlyList<int> AllowedIntervals = [1, 2, 3, 4, 6, 8, 12, 24];

    public static void ValidateInterval(int hours, string? source = null)
    {
        if (AllowedIntervals.Contains(hours)) return;
        var from = source is null ? "" : $" (from {source})";
        throw new VppException(VppErrorKind.InvalidArgument, "VppBadSyncInterval",
            $"IntervalHours {hours}{from} cannot be scheduled: the interval must divide a day evenly, so use one of " +
            $"{string.Join(", ", AllowedIntervals)} hours (other values would run at uneven gaps around midnight). " +
            "The default is 12, twice a day.", hours);
    }

    /// <summary>
    /// A minute past the hour that is stable for one installation and differs between
    /// installations, so that many VppPS installations do not all call Apple at :00.
    /// </summary>
    public static int StableMinute(string installationId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(installationId));
        return (int)(BitConverter.ToUInt32(hash, 0) % 60);
    }

    /// <summary>
    /// The script the schedule runs: plain text in the log (no colour codes), a line with the
    /// time the run started, then "Import-Module VppPS" (or the quoted manifest path) and
    /// "Sync-VppToken -All", each run written as a list of every property (Error included), which
    /// a log file does not cut at 80 columns as it would a table. It uses no double quotes, so that
    /// it fits in a double-quoted Windows argument as well as in sh quotes.
    /// </summary>
    public static string ImportAndSync(string moduleReference) =>
        "$PSStyle.OutputRendering = 'PlainText'; '== VppPS sync ' + (Get-Date -Format o); " +
        $"Import-Module {(ScheduledPowerShell.IsByName(moduleReference) ? ScheduledPowerShell.ModuleName : PowerShellQuote(moduleReference))}; " +
        $"{SyncInvocation} | Format-List -Property *";

    /// <summary>A PowerShell single-quoted string (PowerShell also treats the typographic quotes as single quotes).</summary>
    public static string PowerShellQuote(string value)
    {
        var builder = new StringBuilder("'");
        foreach (var ch in value)
        {
            builder.Append(ch);
            if (ch is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B') builder.Append(ch);
        }
        return builder.Append('\'').ToString();
    }

    /// <summary>Paths go into a one-line entry: no line breaks or NUL.</summary>
    internal static void CheckPath(string path, string what)
    {
        if (path.IndexOfAny(['\r', '\n', '\0']) >= 0)
            throw new VppException(VppErrorKind.InvalidArgument, "VppBadSchedulePath",
                $"The {what} '{path.ReplaceLineEndings(" ")}' contains a line break, which a scheduled entry cannot hold. Use another path.", path);
    }

    internal static string Hours(int hours) => hours.ToString(CultureInfo.InvariantCulture);
}
