namespace VppPS.Engine.Sync;

/// <summary>
/// The scheduled sync of this user: how often it runs, the command it runs and where that
/// command's output goes. <see cref="Entry"/> is exactly what is (or would be) written: the
/// crontab line, or for a Windows task its schedule and command.
/// </summary>
public sealed class VppSyncSchedule
{
    public required SyncSchedulePlatform Platform { get; init; }

    /// <summary>Hours between runs; null when the entry was edited into a form VppPS does not read.</summary>
    public required int? IntervalHours { get; init; }

    /// <summary>The cron expression (such as "17 */12 * * *"), or the task's trigger in words.</summary>
    public required string Schedule { get; init; }

    /// <summary>The command line that runs (without the schedule).</summary>
    public required string Command { get; init; }

    /// <summary>The file the command's output is appended to; null when it cannot be read from the entry.</summary>
    public required string? LogPath { get; init; }

    /// <summary>The pwsh the entry runs; null when it cannot be read from the entry.</summary>
    public string? PwshPath { get; init; }

    /// <summary>What the entry imports: "VppPS" (by name) or a module manifest's path; null when it cannot be read from the entry.</summary>
    public string? Module { get; init; }

    /// <summary>
    /// For a registered entry: what it points at that no longer exists (the pwsh, the module),
    /// with what to do; null when both are there (and for an entry only planned).
    /// </summary>
    public string? Problem { get; internal set; }

    /// <summary>False when <see cref="Problem"/> says the scheduled sync would fail to start.</summary>
    public bool IsValid => Problem is null;

    /// <summary>True when the entry is in the crontab or Task Scheduler; false for one only planned (-WhatIf).</summary>
    public required bool Registered { get; init; }

    /// <summary>The crontab line, or the Windows task's name, schedule and command.</summary>
    public required string Entry { get; init; }
}
