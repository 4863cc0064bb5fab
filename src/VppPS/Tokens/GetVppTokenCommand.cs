using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;

namespace VppPS.Tokens;

[Cmdlet(VerbsCommon.Get, "VppToken", DefaultParameterSetName = "ByName")]
[OutputType(typeof(VppToken))]
public sealed class GetVppTokenCommand : VppCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "ByName", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "ById", ValueFromPipelineByPropertyName = true)]
    public Guid[]? Id { get; set; }

    [Parameter]
    [ValidateSet("valid", "expired", "invalid", "assignedToExternalMDM", "duplicateLocationId")]
    public string[]? State { get; set; }

    [Parameter]
    [ValidateRange(0, 3650)]
    public int ExpiringWithinDays { get; set; } = -1;

    protected override void ProcessRecord()
    {
        if (!TryRun(c => (Tokens: new TokenService(c).List(), Now: c.Clock.UtcNow), out var result)) return;
        var tokens = result.Tokens.AsEnumerable();
        if (Id is not null)
        {
            tokens = tokens.Where(t => Id.Contains(t.Id));
            foreach (var missing in Id.Where(id => result.Tokens.All(t => t.Id != id)))
                WriteVppError(VppErrorKind.NotFound, "VppTokenNotFound", $"No token has the id {missing}. Run Get-VppToken to list the tokens.", missing);
        }
        if (Name is not null)
        {
            var patterns = Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            tokens = tokens.Where(t => patterns.Any(p => p.IsMatch(t.Name)));
            foreach (var missing in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !result.Tokens.Any(t => string.Equals(t.Name, n, StringComparison.OrdinalIgnoreCase))))
                WriteVppError(VppErrorKind.NotFound, "VppTokenNotFound", $"No token is named '{missing}'. Run Get-VppToken to list the tokens.", missing);
        }
        if (State is not null) tokens = tokens.Where(t => State.Contains(t.State.ToString(), StringComparer.OrdinalIgnoreCase));
        if (ExpiringWithinDays >= 0) tokens = tokens.Where(t => t.ExpirationDateTime <= result.Now.AddDays(ExpiringWithinDays));
        foreach (var token in tokens) WriteObject(token);
    }
}
