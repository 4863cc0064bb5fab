using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Creates a user group or a device group; refuses a name that is taken.</summary>
[Cmdlet(VerbsCommon.New, "VppGroup", SupportsShouldProcess = true)]
[OutputType(typeof(VppGroup))]
public sealed class NewVppGroupCommand : DirectoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VppPS.Infrastructure.NewNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateSet("User", "Device")]
    public string Kind { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Description { get; set; }

    protected override void ProcessRecord()
    {
        var kind = Enum.Parse<DirectoryKind>(Kind, ignoreCase: true);
        if (!ShouldProcess(Name, $"Create the {kind} group")) return;
        if (TryRun(c => new DirectoryService(c).NewGroup(Name, kind, Description), out var group, Name)) WriteObject(group);
    }
}
