using VppPS.Engine.Store;

namespace VppPS.Engine.Sync;

/// <summary>
/// Registers, reads and removes the scheduled "Sync-VppToken -All" of the current user: one
/// line in the user's crontab on Linux and macOS, the task "VppPS Sync" on Windows. Other
/// crontab lines are never changed; registering again replaces VppPS's entry. Register and
/// Unregister are journaled (target "schedule:sync").
/// </summary>
public sealed class SyncSchedule
{
    public const string JournalTarget = "schedule:sync";

    private readonly VppContext _context;

    private readonly ProcessSupport _processes;

    /// <param name="processes">Whether this host can start programs (crontab, schtasks, pwsh); this process by default.</param>
    public SyncSchedule(VppContext context, SyncSchedulePlatform? platform = null, ProcessSupport? processes = null)
    {
        _context = context;
        Platform = platform ?? CurrentPlatform;
        _processes = processes ?? ProcessSupport.Current;
    }

    public static SyncSchedulePlatform CurrentPlatform => OperatingSystem.IsWindows() ? SyncSchedulePlatform.TaskScheduler : SyncSchedulePlatform.Cron;

    public SyncSchedulePlatform Platform { get; }

    /// <summary>The default log file: logs/sync.log in the data folder.</summary>
    public static string DefaultLogPath(string dataFolder) => Path.Combine(dataFolder, PrivateFiles.LogsFolderName, "sync.log");

    /// <summary>Where the entry lives, for messages: "the crontab of alice" or "the scheduled task 'VppPS Sync'".</summary>
    public string Location => Platform == SyncSchedulePlatform.Cron
        ? $"the crontab of {Environment.UserName}"
        : $"the scheduled task '{ScheduledTaskDefinition.TaskName}'";

    /// <summary>
    /// The request for this installation. <paramref name="intervalHours"/> null takes the
    /// SyncIntervalHours setting; <paramref name="logPath"/> null takes logs/sync.log in the data
    /// folder. The data folder is carried into the entry when VPPPS_HOME chose it. The pwsh is
    /// <paramref name="pwshPath"/>, else found from <paramref name="processPath"/> (the running
    /// executable) and <paramref name="pathVariable"/> (see <see cref="ScheduledPowerShell.FindPwsh"/>);
    /// the module is VppPS by name when that pwsh finds <paramref name="moduleManifestPath"/> by
    /// name, else that path. Says (as warnings) which of this session's settings the scheduled
    /// sync will not see. Fails first when this host cannot start programs (a cloud sandbox).
    /// </summary>
    public SyncScheduleRequest Request(int? intervalHours, string? logPath, string moduleManifestPath, string? pwshPath, string? processPath, string? pathVariable)
    {
        _processes.EnsureCanStart("A schedule is written with crontab or schtasks and runs pwsh, none of which can run here: " +
            "schedule the runbook (Sync-VppToken -All) with the platform's own scheduler instead, for example an Azure Automation schedule.", Location);
        var pwsh = ScheduledPowerShell.FindPwsh(pwshPath, processPath, pathVariable);
        var module = ScheduledPowerShell.ModuleReference(moduleManifestPath, ScheduledPowerShell.ModuleFolders(pwsh));
        _context.Observer.Verbose(ScheduledPowerShell.IsByName(module)
            ? $"The schedule runs {pwsh} and imports VppPS by name (installed where that pwsh looks for modules)."
            : $"The schedule runs {pwsh} and imports VppPS from {module}: it breaks if that folder moves. Installed with Install-PSResource, VppPS is imported by name instead.");
        var configuration = _context.Configuration;
        if (intervalHours is { } given)
        {
            SyncCommand.ValidateInterval(given);
            if (given != configuration.SyncIntervalHours)
                _context.Observer.Verbose($"The schedule runs every {given} hours, but Test-VppToken judges whether a token's sync is stale " +
                    $"by the SyncIntervalHours setting ({configuration.SyncIntervalHours}). Set-VppConfiguration -SyncIntervalHours {given} makes them agree.");
        }
        else
        {
            SyncCommand.ValidateInterval(configuration.SyncIntervalHours, "the SyncIntervalHours setting");
        }
        foreach (var (name, source) in configuration.Sources.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (name is "Store" or "DataFolder") continue;
            if (source == "Environment")
                _context.Observer.Warning($"{name} comes from an environment variable in this session; the scheduled sync does not see it and uses the saved setting or the default. Save it with Set-VppConfiguration.");
            else if (source == "Session")
                _context.Observer.Warning($"{name} is set for this session only (Start-VppSimulator sets ServiceUrl); the scheduled sync uses the saved setting or the default.");
        }
        var choice = _context.Choice;
        if (choice.Source == "Session" || choice.Source == "Environment" && choice.Location.Kind == StoreKind.PostgreSql)
            _context.Observer.Warning($"This session uses {choice.Location} ({(choice.Source == "Session" ? "Connect-VppStore" : StoreChoice.Variable)}); the scheduled sync does not see that " +
                "and uses the store saved with Set-VppConfiguration -Store, else the local data folder. Save the store with Set-VppConfiguration -Store.");
        var fromEnvironment = choice.Location.Kind == StoreKind.Sqlite && choice.Source == "Environment";
        return new SyncScheduleRequest(
            intervalHours ?? configuration.SyncIntervalHours,
            Path.GetFullPath(logPath ?? DefaultLogPath(_context.Store.Folder ?? StatePaths.DefaultFolder)),
            module,
            pwsh,
            fromEnvironment ? _context.Store.Folder : null,
            _context.Session.InstallationId);
    }

    /// <summary>What <see cref="Register"/> would write, without writing anything (validates the request).</summary>
    public VppSyncSchedule Plan(SyncScheduleRequest request) => Platform == SyncSchedulePlatform.Cron
        ? CronEntry.Parse(CronEntry.Build(request), registered: false)!
        : ScheduledTaskDefinition.Build(request, CurrentUserId, _context.Clock.UtcNow.LocalDateTime).Planned;

    /// <summary>Writes the entry (replacing VppPS's earlier one), creates the log folder, journals; returns what is registered now.</summary>
    public VppSyncSchedule Register(SyncScheduleRequest request)
    {
        var planned = Plan(request);
        Action write;
        if (Platform == SyncSchedulePlatform.Cron)
        {
            var crontab = Crontab.Locate();
            var line = CronEntry.Build(request);
            write = () =>
            {
                var before = crontab.Read();
                _context.Observer.Verbose(CronTable.FindEntry(before) is null
                    ? $"Adding VppPS's line to the crontab ({crontab.Program})."
                    : $"Replacing VppPS's line in the crontab ({crontab.Program}).");
                crontab.Write(CronTable.WithEntry(before, line));
            };
        }
        else
        {
            var tasks = WindowsTaskScheduler.Locate();
            var (xml, _) = ScheduledTaskDefinition.Build(request, CurrentUserId, _context.Clock.UtcNow.LocalDateTime);
            write = () =>
            {
                _context.Observer.Verbose($"Creating the task '{ScheduledTaskDefinition.TaskName}' ({tasks.Program} /Create /XML).");
                tasks.Create(xml);
            };
        }
        // Made here, readable by this account only (Unix), so that the scheduler appends to a private file.
        if (Path.GetDirectoryName(request.LogPath) is { Length: > 0 } logFolder)
            PrivateFiles.CreateFolder(logFolder);
        PrivateFiles.CreateFile(request.LogPath);
        // The journal entry and the scheduler change go together: if writing the entry fails,
        // the transaction is not committed and nothing is journaled.
        _context.Store.Write((c, t) =>
        {
            write();
            _context.Journal.Write(c, t, JournalTarget, "Register",
                $"Sync every {request.IntervalHours} hours ({planned.Schedule}), log {request.LogPath}");
        });
        return Get() ?? planned;
    }

    /// <summary>The registered schedule, with what it points at that no longer exists (Problem); null when there is none.</summary>
    public VppSyncSchedule? Get()
    {
        var schedule = Read();
        if (schedule is not null) schedule.Problem = ScheduledPowerShell.Problem(schedule.PwshPath, schedule.Module);
        return schedule;
    }

    private VppSyncSchedule? Read()
    {
        if (Platform == SyncSchedulePlatform.Cron)
        {
            if (Crontab.TryLocate(out var problem) is not { } crontab)
            {
                _context.Observer.Verbose(problem);
                return null;
            }
            return CronTable.FindEntry(crontab.Read()) is { } line ? CronEntry.Parse(line) : null;
        }
        if (WindowsTaskScheduler.TryLocate(out var missing) is not { } tasks)
        {
            _context.Observer.Verbose(missing);
            return null;
        }
        var xml = tasks.Query(out var why);
        if (xml is null)
        {
            _context.Observer.Verbose($"No task '{ScheduledTaskDefinition.TaskName}': {why}");
            return null;
        }
        return ScheduledTaskDefinition.Parse(xml);
    }

    /// <summary>Removes VppPS's entry and journals it; returns what was removed, or null when nothing was registered.</summary>
    public VppSyncSchedule? Unregister()
    {
        var existing = Get();
        if (existing is null) return null;
        _context.Store.Write((c, t) =>
        {
            if (Platform == SyncSchedulePlatform.Cron)
            {
                var crontab = Crontab.Locate();
                crontab.Write(CronTable.WithoutEntry(crontab.Read()));
            }
            else
            {
                WindowsTaskScheduler.Locate().Delete();
            }
            _context.Journal.Write(c, t, JournalTarget, "Unregister", $"Removed the scheduled sync ({existing.Schedule})");
        });
        return existing;
    }

    private static string CurrentUserId =>
        string.IsNullOrEmpty(Environment.UserDomainName) ? Environment.UserName : $"{Environment.UserDomainName}\\{Environment.UserName}";
}
