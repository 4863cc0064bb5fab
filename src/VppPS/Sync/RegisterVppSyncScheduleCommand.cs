using System.Management.Automation;
using VppPS.Engine.Sync;
using VppPS.Infrastructure;

namespace VppPS.Sync;

/// <summary>
/// Schedules "Sync-VppToken -All" for the current user: a crontab line on Linux and macOS, the
/// task "VppPS Sync" on Windows. Registering again replaces the entry. -WhatIf shows the entry.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "VppSyncSchedule", SupportsShouldProcess = true)]
[OutputType(typeof(VppSyncSchedule))]
public sealed class RegisterVppSyncScheduleCommand : VppCmdlet
{
    /// <summary>Hours between syncs: 1, 2, 3, 4, 6, 8, 12 or 24. Default: the SyncIntervalHours setting (12).</summary>
    [Parameter(Position = 0)]
    public int IntervalHours { get; set; }

    /// <summary>The file the sync's output is appended to. Default: logs/sync.log in the data folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>
    /// The pwsh the schedule runs. Default: this pwsh when it is a PowerShell installation, else
    /// one found on PATH or in PowerShell's usual install folders (never the pwsh dotnet tool).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PwshPath { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        int? hours = MyInvocation.BoundParameters.ContainsKey(nameof(IntervalHours)) ? IntervalHours : null;
        var log = LogPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(LogPath);
        var pwsh = PwshPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(PwshPath);
        if (!TryRun(c =>
            {
                var schedule = new SyncSchedule(c);
                var request = schedule.Request(hours, log, SyncScheduleHost.ModuleManifestPath, pwsh, SyncScheduleHost.ProcessPath, SyncScheduleHost.PathVariable);
                return (Request: request, Planned: schedule.Plan(request), schedule.Location);
            }, out var plan, hours)) return;

        if (!ShouldProcess(plan.Location, $"Register a sync every {plan.Request.IntervalHours} hours, writing this entry: {plan.Planned.Entry}")) return;
        if (!TryRun(c => new SyncSchedule(c).Register(plan.Request), out var registered)) return;
        WriteVerbose($"Registered in {plan.Location}: {registered.Entry}");
        WriteVerbose($"Output goes to {registered.LogPath}.");
        if (PassThru) WriteObject(registered);
    }
}
