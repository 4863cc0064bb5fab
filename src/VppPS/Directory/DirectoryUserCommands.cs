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
        var filter = new NameFilter(UserPrincipalName);
        Stream(() => ReadService().ListUsers(IncludeRemoved), u => filter.Keep(u.UserPrincipalName));
        WriteUnmatched(filter, "VppDirectoryUserNotFound", n => $"No user of the directory is named '{n}'{(IncludeRemoved ? "" : " (add -IncludeRemoved for removed ones)")}. Run Get-VppDirectoryUser to list them.");
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
        var filter = new NameFilter(SerialNumber);
        Stream(() => ReadService().ListDevices(IncludeRemoved), d => filter.Keep(d.SerialNumber));
        WriteUnmatched(filter, "VppDeviceNotFound", n => $"No device of the directory has the serial number '{n}'{(IncludeRemoved ? "" : " (add -IncludeRemoved for removed ones)")}. Run Get-VppDevice to list them.");
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
        var whatIf = WhatIfInEffect;
        foreach (var upn in UserPrincipalName)
        {
            // -WhatIf: the removal, rolled back, so that its warnings (seats that retiring the VPP user releases) show too.
            if (whatIf) TryRun(c => new DirectoryService(c).RemoveUser(upn, commit: false), out _, upn);
            if (!ShouldProcess(upn, "Remove from the directory and from every group")) continue;
            if (TryRun(c => new DirectoryService(c).RemoveUser(upn), out var removed, upn) && !removed)
                WriteVerbose($"'{upn}' was already removed from the directory.");
        }
    }
}
