using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>
/// What Add-VppGroupMember and Remove-VppGroupMember share: the group (resolved once, before the
/// pipeline runs) and the members by user principal name or serial number, bound by value or
/// from the pipeline by property name. Not generic over the engine's types: exported types may
/// name only .NET, PowerShell and VppPS.dll types (the engine loads in the module's own context).
/// </summary>
public abstract class GroupMemberCmdlet : DirectoryCmdlet
{
    private protected VppGroup TargetGroup { get; private set; } = null!;

    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Group { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("UPN")]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    public string[]? UserPrincipalName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SerialNumberCompleter))]
    public string[]? SerialNumber { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        TargetGroup = RequireGroup(Group);
    }
}
