using System.Management.Automation;
using VppPS.Engine.Sync;
using VppPS.Infrastructure;

namespace VppPS.Sync;

/// <summary>
/// The registered scheduled sync of the current user; nothing when none is registered. Warns
/// (and sets Problem, IsValid false) when the entry points at a pwsh or module that no longer exists.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VppSyncSchedule")]
[OutputType(typeof(VppSyncSchedule))]
public sealed class GetVppSyncScheduleCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (!TryRun(c => (Schedule: new SyncSchedule(c).Get(), new SyncSchedule(c).Location), out var found)) return;
        if (found.Schedule is null) WriteVerbose($"No VppPS sync schedule is registered in {found.Location}.");
        else
        {
            if (found.Schedule.Problem is { } problem) WriteWarning($"The scheduled sync cannot run: {problem}");
            WriteObject(found.Schedule);
        }
    }
}
