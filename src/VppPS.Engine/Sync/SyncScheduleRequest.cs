namespace VppPS.Engine.Sync;

/// <summary>
/// What a scheduled sync needs to know to build its command: the interval, the log file, the
/// module to import (<see cref="Module"/>: "VppPS" by name, or a manifest's full path, see
/// <see cref="ScheduledPowerShell.ModuleReference"/>), and the pwsh that runs it (an absolute path,
/// see <see cref="ScheduledPowerShell.FindPwsh"/>). <see cref="DataFolder"/> is set only when
/// VPPPS_HOME chose the data folder: the scheduled command then sets VPPPS_HOME too.
/// </summary>
public sealed record SyncScheduleRequest(
    int IntervalHours,
    string LogPath,
    string Module,
    string PwshPath,
    string? DataFolder,
    string InstallationId);
