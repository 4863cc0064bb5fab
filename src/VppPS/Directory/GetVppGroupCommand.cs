using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Lists groups with their kind and member count.</summary>
[Cmdlet(VerbsCommon.Get, "VppGroup")]
[OutputType(typeof(VppGroup))]
public sealed class GetVppGroupCommand : DirectoryCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(GroupNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    [Parameter]
    [ValidateSet("User", "Device")]
    public string? Kind { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryRun(c => new DirectoryService(c).ListGroups(), out var groups)) return;
        var patterns = Patterns(Name);
        foreach (var missing in (Name ?? []).Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !groups.Any(g => string.Equals(g.Name, n, StringComparison.OrdinalIgnoreCase))))
            WriteVppError(VppErrorKind.NotFound, "VppGroupNotFound", $"No group is named '{missing}'. Run Get-VppGroup to list the groups.", missing);
        foreach (var group in groups)
        {
            if (patterns is not null && !patterns.Any(p => p.IsMatch(group.Name))) continue;
            if (Kind is not null && !string.Equals(group.Kind.ToString(), Kind, StringComparison.OrdinalIgnoreCase)) continue;
            WriteObject(group);
        }
    }
}
