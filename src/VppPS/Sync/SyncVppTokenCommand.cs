using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Sync;
using VppPS.Tokens;

namespace VppPS.Sync;

/// <summary>Pulls licenses, assets and VPP users from Apple for tokens: full the first time and daily, incremental otherwise.</summary>
[Cmdlet(VerbsData.Sync, "VppToken", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SyncRun))]
public sealed class SyncVppTokenCommand : VppTokenCmdlet
{
    private const int ProgressId = 4100;
    private readonly List<Engine.Tokens.VppToken> _tokens = [];

    [Parameter(Mandatory = true, ParameterSetName = AllTokens)]
    public SwitchParameter All { get; set; }

    /// <summary>Read everything, not only what changed since the last sync.</summary>
    [Parameter]
    public SwitchParameter Full { get; set; }

    /// <summary>
    /// Break the token's lease when another run holds it (a run on a host that went away), with a
    /// warning and an audit line; that run's later writes are refused.
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private bool _named;

    protected override void ProcessRecord()
    {
        _named = true;
        foreach (var token in ResolveTokens())
            if (_tokens.All(t => t.Id != token.Id)) _tokens.Add(token);
    }

    protected override void EndProcessing()
    {
        // Nothing to do is said, not left silent: -All with no token, or an empty pipeline.
        if (_tokens.Count == 0 && (ParameterSetName == AllTokens || !_named))
            WriteWarning(ParameterSetName == AllTokens ? "There is no token to sync: add one with Add-VppToken." : "No token came through the pipeline: nothing to sync.");
        (string Host, string Token)? unreachable = null;
        for (var i = 0; i < _tokens.Count; i++)
        {
            var token = _tokens[i];
            var action = (Full ? "Full sync of licenses from Apple" : "Sync licenses from Apple") + (Force ? ", breaking the lease of any other run of this token" : "");
            if (!ShouldProcess(token.Name, action)) continue;
            // Every token talks to the same service: once its host could not be reached at all, the
            // other tokens of this run are reported, not tried (each would wait for the same failure).
            if (unreachable is not null)
            {
                WriteVppError(VppErrorKind.ServiceUnavailable, "VppAppleUnreachable",
                    $"'{token.Name}' was not synced: Apple could not be reached at {unreachable.Value.Host} while syncing '{unreachable.Value.Token}' earlier in this run, " +
                    "and every token talks to that host (see the error of that token for the cause). Run Sync-VppToken again when it can be reached.", token.Name);
                continue;
            }
            WriteProgress(new ProgressRecord(ProgressId, "Syncing tokens", $"{token.Name} ({i + 1} of {_tokens.Count})") { PercentComplete = i * 100 / _tokens.Count });
            if (TryRun(c =>
                {
                    try { return new SyncService(c).SyncAsync(token, Full, CancelToken, breakLease: Force).GetAwaiter().GetResult(); }
                    catch (VppException e) when (e.UnreachableHost is { } host)
                    {
                        unreachable = (host, token.Name);
                        throw;
                    }
                }, out var run, token.Name))
                WriteObject(run);
        }
        WriteProgress(new ProgressRecord(ProgressId, "Syncing tokens", "done") { RecordType = ProgressRecordType.Completed });
    }
}
