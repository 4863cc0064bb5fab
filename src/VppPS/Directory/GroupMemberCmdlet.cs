using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>
/// What Add-VppGroupMember and Remove-VppGroupMember share: the group (resolved once, before the
/// pipeline runs) and the members by user principal name or serial number, bound by value or
/// from the pipeline by property name, or by -Member (the second position), read as the group's
/// kind says: user principal names in a User group, serial numbers in a Device group. Not generic over the engine's types: exported types may
/// name only .NET, PowerShell and VppPS.dll types (the engine loads in the module's own context).
/// </summary>
public abstract class GroupMemberCmdlet : DirectoryCmdlet
{
    private protected VppGroup TargetGroup { get; private set; } = null!;

    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Group { get; set; } = "";

    /// <summary>Members as the group's kind names them: user principal names in a User group, serial numbers in a Device group.</summary>
    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(GroupMemberCompleter))]
    public string[]? Member { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
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

    /// <summary>-UserPrincipalName and -SerialNumber, with -Member added to the one the group's kind reads.</summary>
    private protected (string[] UserPrincipalNames, string[] SerialNumbers) MemberKeys()
    {
        static string[] Given(string[]? values) => (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).ToArray();
        var (upns, serials, members) = (Given(UserPrincipalName), Given(SerialNumber), Given(Member));
        return TargetGroup.Kind == DirectoryKind.User ? ([.. upns, .. members], serials) : (upns, [.. serials, .. members]);
    }
}
