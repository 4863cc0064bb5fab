using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Lists the people of the directory; removed ones (tombstones) with -IncludeRemoved.</summary>
[Cmdlet(VerbsCommon.Get, "VppDirectoryUser")]
[OutputType(typeof(DirectoryUser))]
public sealed class GetVppDirectoryUserCommand : DirectoryCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("UPN")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    public string[]? UserPrincipalName { get; set; }

    [Parameter]
    public SwitchParameter IncludeRemoved { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = Patterns(UserPrincipalName);
        Stream(() => ReadService().ListUsers(IncludeRemoved), u => patterns is null || patterns.Any(p => p.IsMatch(u.UserPrincipalName)));
    }
}

/// <summary>Lists the devices of the directory.</summary>
[Cmdlet(VerbsCommon.Get, "VppDevice")]
[OutputType(typeof(DirectoryDevice))]
public sealed class GetVppDeviceCommand : DirectoryCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SerialNumberCompleter))]
    public string[]? SerialNumber { get; set; }

    [Parameter]
    public SwitchParameter IncludeRemoved { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = Patterns(SerialNumber);
        Stream(() => ReadService().ListDevices(IncludeRemoved), d => patterns is null || patterns.Any(p => p.IsMatch(d.SerialNumber)));
    }
}

/// <summary>Removes people from the directory: they leave every group and stay as a tombstone so their VPP users can be retired.</summary>
[Cmdlet(VerbsCommon.Remove, "VppDirectoryUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveVppDirectoryUserCommand : DirectoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("UPN")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    public string[] UserPrincipalName { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var upn in UserPrincipalName)
        {
            if (!ShouldProcess(upn, "Remove from the directory and from every group")) continue;
            if (TryRun(c => new DirectoryService(c).RemoveUser(upn), out var removed, upn) && !removed)
                WriteVerbose($"'{upn}' was already removed from the directory.");
        }
    }
}
