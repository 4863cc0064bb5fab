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
            if (!ShouldProcess($"{group.Name} ({group.Kind} group, {group.MemberCount} member(s))", "Remove the group and its memberships")) continue;
            if (TryRun(c => new DirectoryService(c).RemoveGroup(group.Name), out var members, name))
                WriteVerbose($"Removed the group '{group.Name}' and its {members} membership(s).");
        }
    }
}
