using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Removes groups and their memberships (the users and devices stay in the directory).</summary>
[Cmdlet(VerbsCommon.Remove, "VppGroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveVppGroupCommand : DirectoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!TryRun(c => new DirectoryService(c).GetGroup(name), out var group, name)) continue;
            if (!ShouldProcess($"{group.Name} ({group.Kind} group, {group.MemberCount} member(s))", "Remove the group, its memberships and its assignments (licenses given stay)")) continue;
            if (!TryRun(c => new DirectoryService(c).RemoveGroup(group.Name), out var removed, name)) continue;
            WriteVerbose($"Removed the group '{group.Name}' and its {removed.Memberships} membership(s).");
            if (removed.Assignments > 0)
                WriteWarning($"The {removed.Assignments} assignment(s) of '{group.Name}' went with it; the licenses they gave stay assigned. " +
                             "Reclaim them with Remove-VppAppLicense, or remove assignments first with Remove-VppAssignment -ReclaimLicenses.");
        }
    }
}
