using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;

namespace VppPS.Tokens;

/// <summary>
/// Base of the cmdlets that act on existing tokens, chosen by -Name (wildcards), -Id, or
/// -InputObject from the pipeline (the objects Get-VppToken writes).
/// </summary>
public abstract class VppTokenCmdlet : VppCmdlet
{
    protected const string ByName = "ByName";
    protected const string ById = "ById";
    protected const string ByInputObject = "ByInputObject";
    /// <summary>The parameter set of cmdlets that offer -All (every token).</summary>
    protected const string AllTokens = "All";

    [Parameter(Position = 0, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    public Guid[] Id { get; set; } = [];

    /// <summary>
    /// Tokens from Get-VppToken, bound as objects (by Id) rather than by their Name: a name that
    /// holds wildcard characters would match other tokens too. Other objects bind Name or Id.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ByInputObject, ValueFromPipeline = true)]
    [PipelineObject(PipelineTypes.Token)]
    public object[] InputObject { get; set; } = [];

    /// <summary>Whether -Name was given on the command line (otherwise it came from the Name of an object piped in).</summary>
    private bool _namedOnCommandLine;

    protected override void BeginProcessing()
    {
        _namedOnCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Name));
        base.BeginProcessing();
    }

    /// <summary>Whether naming no token means every token (Test-VppToken) rather than an error.</summary>
    protected virtual bool AllWhenNoneNamed => false;

    /// <summary>The tokens this pipeline item names; writes a not-found error for each name that matches none.</summary>
    protected IReadOnlyList<VppToken> ResolveTokens()
    {
        if (!TryRun(c => new TokenService(c).List(), out var all)) return [];
        switch (ParameterSetName)
        {
            case ById:
                return Id.Select(id => all.FirstOrDefault(t => t.Id == id) ?? NotFound($"No token has the id {id}.", id)).OfType<VppToken>().ToList();
            case ByInputObject:
                // Re-read: the object may be stale (renamed, state changed since it was written).
                return InputObject.Select(PSObject.AsPSObject).Select(o => IdOf(o) is { } id
                    ? all.FirstOrDefault(t => t.Id == id) ?? NotFound($"The token '{o.Properties["Name"]?.Value}' no longer exists.", id)
                    : NotFound($"'{o}' is not a token: pipe the objects of Get-VppToken.", o)).OfType<VppToken>().ToList();
            case AllTokens:
                return all;
            default:
                if (Name.Length == 0)
                {
                    if (AllWhenNoneNamed) return all;
                    ThrowVppError(VppErrorKind.InvalidArgument, "VppTokenNotNamed", $"Name the token(s) for {MyInvocation.MyCommand.Name}: -Name, -Id, or pipe them from Get-VppToken.");
                }
                var found = new List<VppToken>();
                foreach (var name in Name)
                {
                    var pattern = new NamePattern(name);
                    var matches = all.Where(t => pattern.IsMatch(t.Name)).ToList();
                    // A Name that came with another object (an app, a group) and names no token: that object is not a token.
                    if (matches.Count == 0 && !_namedOnCommandLine)
                        WriteVppError(VppErrorKind.InvalidArgument, "VppNotAToken", $"'{name}' is not a token: pipe the objects of Get-VppToken.", name);
                    else if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name)) NotFound($"No token is named '{name}'.", name);
                    found.AddRange(matches.Where(m => found.All(f => f.Id != m.Id)));
                }
                return found;
        }
    }

    private static Guid? IdOf(PSObject item) => item.BaseObject switch
    {
        VppToken token => token.Id,
        _ => item.Properties["Id"]?.Value is { } value && Guid.TryParse(value.ToString(), out var id) ? id : null,
    };

    private VppToken? NotFound(string message, object target)
    {
        WriteVppError(VppErrorKind.NotFound, "VppTokenNotFound", message + " Run Get-VppToken to list the tokens.", target);
        return null;
    }
}
