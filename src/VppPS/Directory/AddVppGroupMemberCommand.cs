using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Directories;
using VppPS.Infrastructure;

namespace VppPS.Directory;

/// <summary>
/// Adds users or devices to a group, by value or from the pipeline by property name (Microsoft
/// Graph users and managed devices pipe straight in). Unknown users and devices join the
/// directory on the way; the whole pipeline is written in one transaction at the end.
/// </summary>
[Cmdlet(VerbsCommon.Add, "VppGroupMember", SupportsShouldProcess = true)]
[OutputType(typeof(VppGroupMember))]
public sealed class AddVppGroupMemberCommand : GroupMemberCmdlet
{
    private readonly List<MemberInput> _pending = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ExternalId")]
    public string? Id { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Email")]
    public string? Mail { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ManagedAppleAccount")]
    public string? ManagedAppleId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? DisplayName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? DeviceName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Owner { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("OperatingSystem")]
    public string? Platform { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var (upns, serials) = MemberKeys();
        var inputs = new List<MemberInput>();
        if (TargetGroup.Kind == DirectoryKind.User)
        {
            if (upns.Length > 1 && (Id ?? Mail ?? ManagedAppleId ?? DisplayName) is not null)
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppMemberAttributesAmbiguous",
                    "-Id, -Mail, -ManagedAppleId and -DisplayName describe one user: give one -UserPrincipalName with them, or pipe objects.", string.Join(",", upns));
                return;
            }
            foreach (var upn in upns.DefaultIfEmpty(null))
                inputs.Add(new MemberInput { UserPrincipalName = upn, Id = Id, Mail = Mail, ManagedAppleId = ManagedAppleId, DisplayName = DisplayName, SerialNumber = serials.FirstOrDefault() });
        }
        else
        {
            if (serials.Length > 1 && (DeviceName ?? Owner ?? Platform) is not null)
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppMemberAttributesAmbiguous",
                    "-DeviceName, -Owner and -Platform describe one device: give one -SerialNumber with them, or pipe objects.", string.Join(",", serials));
                return;
            }
            // On a Graph managed device the UserPrincipalName is the owner's.
            var owner = Owner ?? (upns.Length == 1 ? upns[0] : null);
            foreach (var serial in serials.DefaultIfEmpty(null))
                inputs.Add(new MemberInput { SerialNumber = serial, DeviceName = DeviceName, Owner = owner, Platform = Platform, UserPrincipalName = serials.Length == 0 ? upns.FirstOrDefault() : null });
        }
        foreach (var input in inputs)
        {
            if (input.Problem(TargetGroup.Kind, TargetGroup.Name) is { } problem)
            {
                WriteError(ErrorMapper.ToErrorRecord(problem, problem.Target));
                continue;
            }
            var key = input.Key(TargetGroup.Kind);
            if (ShouldProcess(key, $"Add to the {TargetGroup.Kind} group '{TargetGroup.Name}'")) _pending.Add(input);
        }
    }

    protected override void EndProcessing()
    {
        if (_pending.Count == 0) return;
        if (!TryRun(c => new DirectoryService(c).AddMembers(TargetGroup.Name, _pending, PassThru), out var change, TargetGroup.Name)) return;
        foreach (var line in change.Changes) WriteVerbose(line);
        WriteVerbose($"{change.Group}: {change.Added} added, {change.Unchanged} already member(s); {change.CreatedInDirectory} new to the directory, {change.UpdatedInDirectory} updated.");
        if (PassThru) foreach (var member in change.Members) WriteObject(Shown(member));
    }
}
