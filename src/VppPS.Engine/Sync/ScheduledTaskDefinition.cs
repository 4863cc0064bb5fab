using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace VppPS.Engine.Sync;

/// <summary>
/// The Windows scheduled task "VppPS Sync", as Task Scheduler XML (schtasks /Create /XML): a
/// time trigger repeating every N hours from 00:MM, an action running pwsh. XML rather than
/// /SC HOURLY /TR because /TR is limited to 261 characters, which pwsh, the module path and the
/// log path together easily pass. The output goes to the log through PowerShell's own
/// redirection (*>>), since a task's action is not run by a shell.
/// </summary>
public static partial class ScheduledTaskDefinition
{
    public const string TaskName = "VppPS Sync";
    public const string Description = "VppPS sync (managed by Register-VppSyncSchedule)";
    private static readonly XNamespace Ns = "http://schemas.microsoft.com/windows/2004/02/mit/task";

    /// <summary>The PowerShell script the task runs; its output, errors included, is appended to the log.</summary>
    public static string Script(SyncScheduleRequest request)
    {
        SyncCommand.CheckPath(request.LogPath, "log path");
        SyncCommand.CheckPath(request.Module, "module path");
        var home = request.DataFolder is { } folder ? $"$env:VPPPS_HOME = {SyncCommand.PowerShellQuote(folder)}; " : "";
        return $"& {{ {home}{SyncCommand.ImportAndSync(request.Module)} }} *>> {SyncCommand.PowerShellQuote(request.LogPath)}";
    }

    /// <summary>The program and its argument string (Windows command-line quoting).</summary>
    public static (string Program, string Arguments) Action(SyncScheduleRequest request)
    {
        SyncCommand.CheckPath(request.PwshPath, "pwsh path");
        return (request.PwshPath, string.Join(' ', "-NoProfile", "-NonInteractive", "-Command", $"\"{Script(request)}\""));
    }

    public static string Schedule(int intervalHours, int minute) =>
        $"Every {SyncCommand.Hours(intervalHours)} hours from 00:{minute.ToString("00", CultureInfo.InvariantCulture)}";

    /// <summary>The task XML, and what the user is shown of it.</summary>
    public static (string Xml, VppSyncSchedule Planned) Build(SyncScheduleRequest request, string userId, DateTime today)
    {
        SyncCommand.ValidateInterval(request.IntervalHours);
        var minute = SyncCommand.StableMinute(request.InstallationId);
        var (program, arguments) = Action(request);
        var start = new DateTime(today.Year, today.Month, today.Day, 0, minute, 0, DateTimeKind.Unspecified);
        var xml = new XDocument(
            new XElement(Ns + "Task", new XAttribute("version", "1.2"),
                new XElement(Ns + "RegistrationInfo", new XElement(Ns + "Description", Description)),
                new XElement(Ns + "Triggers",
                    new XElement(Ns + "TimeTrigger",
                        new XElement(Ns + "StartBoundary", start.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
                        new XElement(Ns + "Repetition",
                            new XElement(Ns + "Interval", $"PT{SyncCommand.Hours(request.IntervalHours)}H"),
                            new XElement(Ns + "StopAtDurationEnd", "false")),
                        new XElement(Ns + "Enabled", "true"))),
                // InteractiveToken: the task runs as the user, only while logged on, and can use the
                // user's DPAPI key that protects VppPS's secrets (an S4U logon could not).
                new XElement(Ns + "Principals",
                    new XElement(Ns + "Principal", new XAttribute("id", "Author"),
                        new XElement(Ns + "UserId", userId),
                        new XElement(Ns + "LogonType", "InteractiveToken"),
                        new XElement(Ns + "RunLevel", "LeastPrivilege"))),
                new XElement(Ns + "Settings",
                    new XElement(Ns + "MultipleInstancesPolicy", "IgnoreNew"),
                    new XElement(Ns + "DisallowStartIfOnBatteries", "false"),
                    new XElement(Ns + "StopIfGoingOnBatteries", "false"),
                    new XElement(Ns + "StartWhenAvailable", "true"),
                    new XElement(Ns + "RunOnlyIfNetworkAvailable", "true"),
                    new XElement(Ns + "ExecutionTimeLimit", "PT2H"),
                    new XElement(Ns + "Enabled", "true")),
                new XElement(Ns + "Actions", new XAttribute("Context", "Author"),
                    new XElement(Ns + "Exec",
                        new XElement(Ns + "Command", program),
                        new XElement(Ns + "Arguments", arguments)))));
        var schedule = Schedule(request.IntervalHours, minute);
        var command = $"\"{program}\" {arguments}";
        return (xml.Declaration + xml.ToString(), new VppSyncSchedule
        {
            Platform = SyncSchedulePlatform.TaskScheduler,
            IntervalHours = request.IntervalHours,
            Schedule = schedule,
            Command = command,
            LogPath = request.LogPath,
            PwshPath = program,
            Module = request.Module,
            Registered = false,
            Entry = $"Task '{TaskName}': {schedule}: {command}",
        });
    }

    /// <summary>Reads the task back from schtasks /Query /XML; null when it is not VppPS's task.</summary>
    public static VppSyncSchedule? Parse(string xml)
    {
        XDocument document;
        try { document = XDocument.Parse(xml.Trim().TrimStart('\uFEFF')); }
        catch (System.Xml.XmlException) { return null; }
        XNamespace ns = document.Root?.Name.Namespace ?? Ns;
        var exec = document.Descendants(ns + "Exec").FirstOrDefault();
        if (exec is null) return null;
        var program = (string?)exec.Element(ns + "Command") ?? "";
        var arguments = (string?)exec.Element(ns + "Arguments") ?? "";
        var interval = (string?)document.Descendants(ns + "Repetition").Elements(ns + "Interval").FirstOrDefault();
        var start = (string?)document.Descendants(ns + "StartBoundary").FirstOrDefault();
        int? hours = interval is not null && IntervalPattern().Match(interval) is { Success: true } m
            ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : interval is null ? 24 : null;
        var minute = start is not null && DateTime.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.None, out var s) ? s.Minute : 0;
        var schedule = hours is { } h ? Schedule(h, minute) : $"Repeats every {interval} from {start}";
        var log = LogRedirection().Match(arguments) is { Success: true } l ? l.Groups[1].Value.Replace("''", "'", StringComparison.Ordinal) : null;
        var command = $"\"{program}\" {arguments}";
        return new VppSyncSchedule
        {
            Platform = SyncSchedulePlatform.TaskScheduler,
            IntervalHours = hours,
            Schedule = schedule,
            Command = command,
            LogPath = log,
            PwshPath = program.Length > 0 ? program : null,
            Module = ScheduledPowerShell.ImportedModule(arguments),
            Registered = true,
            Entry = $"Task '{TaskName}': {schedule}: {command}",
        };
    }

    [GeneratedRegex(@"^PT(\d+)H$")]
    private static partial Regex IntervalPattern();

    [GeneratedRegex(@"\*>>\s*'((?:[^']|'')*)'")]
    private static partial Regex LogRedirection();
}
