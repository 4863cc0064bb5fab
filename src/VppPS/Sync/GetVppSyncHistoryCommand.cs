using System.Management.Automation;
using VppPS.Engine.Sync;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Sync;

/// <summary>Past sync runs, newest first: when, how long, what was read, how many requests, why a run failed.</summary>
[Cmdlet(VerbsCommon.Get, "VppSyncHistory")]
[OutputType(typeof(SyncRun))]
public sealed class GetVppSyncHistoryCommand : VppCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    [Parameter]
    [ValidateSet("inProgress", "completed", "failed")]
    public string? Status { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; } = 20;

    protected override void ProcessRecord()
    {
        if (!TryRun(c =>
        {
            IEnumerable<VppToken?> tokens = [null];
            if (Token is not null)
            {
                var patterns = NamePattern.From(Token)!;
                var all = new TokenService(c).List();
                tokens = all.Where(t => patterns.Any(p => p.IsMatch(t.Name))).ToList();
                // A token name without wildcards that names no token is an error, as in Get-VppToken.
                foreach (var name in Token.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !all.Any(t => string.Equals(t.Name, n, StringComparison.OrdinalIgnoreCase))))
                    throw Engine.Inventory.AssetLookup.TokenNotFound(name);
            }
            var store = new SyncRunStore(c);
            return tokens.SelectMany(t => store.History(t?.Id, Status, First)).OrderByDescending(r => r.Id).Take(First).ToList();
        }, out var runs)) return;
        foreach (var run in runs) WriteObject(run);
    }
}
