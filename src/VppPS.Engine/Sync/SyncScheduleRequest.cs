namespace VppPS.Engine.Sync;

/// <summary>
/// What a scheduled sync needs to know to build its command: the interval, the log file, the
/// module to import, and the PowerShell that runs it. <see cref="HostPath"/> is the executable
/// of the running pwsh (Environment.ProcessPath); when that is the dotnet host (the pwsh dotnet
/// tool) the command runs "dotnet pwsh.dll" from <see cref="PowerShellDirectory"/>, the folder of
/// System.Management.Automation. <see cref="DataFolder"/> is set only when VPPPS_HOME chose the
/// data folder: the scheduled command then sets VPPPS_HOME too.
/// </summary>
public sealed record SyncScheduleRequest(
    int IntervalHours,
    string LogPath,
    string ModuleManifestPath,
    string HostPath,
    string PowerShellDirectory,
    string? DataFolder,
    string InstallationId);
