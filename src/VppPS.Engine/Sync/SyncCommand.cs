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
    /// The program and leading arguments that start the PowerShell running now: pwsh itself, or
    /// "dotnet pwsh.dll" for the pwsh dotnet tool, or the pwsh next to System.Management.Automation
    /// when another program hosts PowerShell.
    /// </summary>
    public static (string Program, IReadOnlyList<string> LeadingArguments) PowerShellHost(string hostPath, string powerShellDirectory)
    {
        // Either separator, so that a Windows path is read the same on any platform.
        var name = Path.GetFileNameWithoutExtension(hostPath[(hostPath.LastIndexOfAny(['/', '\\']) + 1)..]);
        if (name.Equals("pwsh", StringComparison.OrdinalIgnoreCase)) return (hostPath, []);
        var dll = Path.Combine(powerShellDirectory, "pwsh.dll");
        if (name.Equals("dotnet", StringComparison.OrdinalIgnoreCase) && File.Exists(dll)) return (hostPath, [dll]);
        var exe = Path.Combine(powerShellDirectory, OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh");
        if (File.Exists(exe)) return (exe, []);
        throw new VppException(VppErrorKind.NotFound, "VppPwshNotFound",
            $"The PowerShell that runs this command ({hostPath}) is not pwsh, and no pwsh was found in {powerShellDirectory}. " +
            "Run Register-VppSyncSchedule from pwsh (PowerShell 7.4 or later).", hostPath);
    }

    /// <summary>
    /// The script the schedule runs: plain text in the log (no colour codes), a line with the
    /// time the run started, then "Import-Module '...'; Sync-VppToken -All". It uses no double
    /// quotes, so that it fits in a double-quoted Windows argument as well as in sh quotes.
    /// </summary>
    public static string ImportAndSync(string moduleManifestPath) =>
        $"$PSStyle.OutputRendering = 'PlainText'; '== VppPS sync ' + (Get-Date -Format o); Import-Module {PowerShellQuote(moduleManifestPath)}; {SyncInvocation}";

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
