using System.Management.Automation;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Makes the directory agree with a CSV file, in one transaction; idempotent; -Prune removes what the file lacks.</summary>
[Cmdlet(VerbsData.Import, "VppDirectory", SupportsShouldProcess = true)]
[OutputType(typeof(DirectoryImportResult))]
public sealed class ImportVppDirectoryCommand : DirectoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter Prune { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var whatIf = WhatIfInEffect;
        if (whatIf)
        {
            // The import itself, rolled back: -WhatIf shows exactly what would change.
            if (!TryRun(c => new DirectoryService(c).Import(path, Prune, commit: false), out var plan, path)) return;
            foreach (var line in plan.Changes) WriteVerbose(line);
            ShouldProcess(path, $"Import the directory: {Describe(plan)}");
            return;
        }
        if (!ShouldProcess(path, "Import the directory" + (Prune ? ", removing the users, devices and memberships the file does not list" : ""))) return;
        if (!TryRun(c => new DirectoryService(c).Import(path, Prune, commit: true), out var result, path)) return;
        foreach (var line in result.Changes) WriteVerbose(line);
        WriteVerbose($"{path}: {Describe(result)}.");
        WriteObject(result);
    }

    private static string Describe(DirectoryImportResult r) => r.TotalChanges == 0 ? "no changes" :
        $"{r.UsersAdded} user(s) added, {r.UsersUpdated} updated, {r.UsersRemoved} removed; {r.DevicesAdded} device(s) added, {r.DevicesUpdated} updated, {r.DevicesRemoved} removed; " +
        $"{r.GroupsCreated} group(s) created; {r.MembershipsAdded} membership(s) added, {r.MembershipsRemoved} removed";
}
