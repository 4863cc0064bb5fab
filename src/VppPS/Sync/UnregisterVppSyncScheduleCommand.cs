using System.Management.Automation;
using VppPS.Engine.Sync;
using VppPS.Infrastructure;

namespace VppPS.Sync;

/// <summary>Removes the scheduled sync; other crontab lines stay. Nothing to remove is not an error.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "VppSyncSchedule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UnregisterVppSyncScheduleCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (!TryRun(c => (Schedule: new SyncSchedule(c).Get(), new SyncSchedule(c).Location), out var found)) return;
        if (found.Schedule is null)
        {
            WriteVerbose($"No VppPS sync schedule is registered in {found.Location}; nothing to remove.");
            return;
        }
        if (!ShouldProcess(found.Location, $"Remove the scheduled sync: {found.Schedule.Entry}")) return;
        if (TryRun(c => new SyncSchedule(c).Unregister(), out var removed))
            WriteVerbose(removed is null
                ? $"No VppPS sync schedule was left to remove in {found.Location}."
                : $"Removed the scheduled sync ({removed.Schedule}) from {found.Location}.");
    }
}
