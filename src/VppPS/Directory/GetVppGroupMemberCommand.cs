using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Lists the members of groups: users of User groups, devices of Device groups.</summary>
[Cmdlet(VerbsCommon.Get, "VppGroupMember")]
[OutputType(typeof(VppGroupMember))]
public sealed class GetVppGroupMemberCommand : DirectoryCmdlet
{
    /// <summary>Binds Name from Get-VppGroup.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Group { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var group in Group) Stream(() => ReadService().ListMembers(group).Select(Shown), target: group);
    }
}
