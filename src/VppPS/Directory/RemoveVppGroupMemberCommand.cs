using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Takes users or devices out of a group (they stay in the directory); one transaction for the pipeline.</summary>
[Cmdlet(VerbsCommon.Remove, "VppGroupMember", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class RemoveVppGroupMemberCommand : DirectoryCmdlet
{
    private readonly List<string> _pending = [];
    private VppGroup _group = null!;

    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Group { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("UPN")]
    public string[]? UserPrincipalName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? SerialNumber { get; set; }

    protected override void BeginProcessing() => _group = RequireGroup(Group);

    protected override void ProcessRecord()
    {
        var upns = (UserPrincipalName ?? []).Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u.Trim()).ToArray();
        var serials = (SerialNumber ?? []).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim().ToUpperInvariant()).ToArray();
        string[] keys;
        if (_group.Kind == DirectoryKind.User)
        {
            if (serials.Length > 0)
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppGroupKindMismatch", $"'{serials[0]}' is a device and '{_group.Name}' is a User group: it cannot be a member.", serials[0]);
                return;
            }
            keys = upns;
        }
        else
        {
            if (serials.Length == 0 && upns.Length > 0)
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppGroupKindMismatch", $"'{upns[0]}' is a user and '{_group.Name}' is a Device group: it cannot be a member.", upns[0]);
                return;
            }
            keys = serials;
        }
        if (keys.Length == 0)
        {
            WriteVppError(VppErrorKind.InvalidArgument, "VppMemberKeyMissing",
                $"Name the members to remove from '{_group.Name}' with -{(_group.Kind == DirectoryKind.User ? "UserPrincipalName" : "SerialNumber")}, or pipe them.", _group.Name);
            return;
        }
        foreach (var key in keys)
            if (ShouldProcess(key, $"Remove from the {_group.Kind} group '{_group.Name}'")) _pending.Add(key);
    }

    protected override void EndProcessing()
    {
        if (_pending.Count == 0) return;
        if (!TryRun(c => new DirectoryService(c).RemoveMembers(_group.Name, _pending), out var change, _group.Name)) return;
        foreach (var line in change.Changes) WriteVerbose(line);
        foreach (var key in change.NotMembers)
            WriteVppError(VppErrorKind.NotFound, "VppGroupMemberNotFound", $"'{key}' is not a member of '{_group.Name}'. Run Get-VppGroupMember -Group '{_group.Name}' to list its members.", key);
    }
}
