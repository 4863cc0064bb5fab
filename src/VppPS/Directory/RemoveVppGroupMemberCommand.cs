using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Takes users or devices out of a group (they stay in the directory); one transaction for the pipeline.</summary>
[Cmdlet(VerbsCommon.Remove, "VppGroupMember", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class RemoveVppGroupMemberCommand : GroupMemberCmdlet
{
    private readonly List<string> _pending = [];

    protected override void ProcessRecord()
    {
        var (upns, devices) = MemberKeys();
        var serials = devices.Select(s => s.ToUpperInvariant()).ToArray();
        string[] keys;
        if (TargetGroup.Kind == DirectoryKind.User)
        {
            if (serials.Length > 0)
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppGroupKindMismatch", $"'{serials[0]}' is a device and '{TargetGroup.Name}' is a User group: it cannot be a member.", serials[0]);
                return;
            }
            keys = upns;
        }
        else
        {
            if (serials.Length == 0 && upns.Length > 0)
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppGroupKindMismatch", $"'{upns[0]}' is a user and '{TargetGroup.Name}' is a Device group: it cannot be a member.", upns[0]);
                return;
            }
            keys = serials;
        }
        if (keys.Length == 0)
        {
            WriteVppError(VppErrorKind.InvalidArgument, "VppMemberKeyMissing",
                $"Name the members to remove from '{TargetGroup.Name}' with -{(TargetGroup.Kind == DirectoryKind.User ? "UserPrincipalName" : "SerialNumber")}, or pipe them.", TargetGroup.Name);
            return;
        }
        foreach (var key in keys)
            if (ShouldProcess(key, $"Remove from the {TargetGroup.Kind} group '{TargetGroup.Name}'")) _pending.Add(key);
    }

    protected override void EndProcessing()
    {
        if (_pending.Count == 0) return;
        if (!TryRun(c => new DirectoryService(c).RemoveMembers(TargetGroup.Name, _pending), out var change, TargetGroup.Name)) return;
        foreach (var line in change.Changes) WriteVerbose(line);
        foreach (var key in change.NotMembers)
            WriteVppError(VppErrorKind.NotFound, "VppGroupMemberNotFound", $"'{key}' is not a member of '{TargetGroup.Name}'. Run Get-VppGroupMember -Group '{TargetGroup.Name}' to list its members.", key);
    }
}
