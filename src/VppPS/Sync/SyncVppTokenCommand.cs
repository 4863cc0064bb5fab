using System.Management.Automation;
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

    protected override void ProcessRecord()
    {
        foreach (var token in ResolveTokens())
            if (_tokens.All(t => t.Id != token.Id)) _tokens.Add(token);
    }

    protected override void EndProcessing()
    {
        for (var i = 0; i < _tokens.Count; i++)
        {
            var token = _tokens[i];
            var action = (Full ? "Full sync of licenses from Apple" : "Sync licenses from Apple") + (Force ? ", breaking the lease of any other run of this token" : "");
            if (!ShouldProcess(token.Name, action)) continue;
            WriteProgress(new ProgressRecord(ProgressId, "Syncing tokens", $"{token.Name} ({i + 1} of {_tokens.Count})") { PercentComplete = i * 100 / _tokens.Count });
            if (TryRun(c => new SyncService(c).SyncAsync(token, Full, CancelToken, breakLease: Force).GetAwaiter().GetResult(), out var run, token.Name))
                WriteObject(run);
        }
        WriteProgress(new ProgressRecord(ProgressId, "Syncing tokens", "done") { RecordType = ProgressRecordType.Completed });
    }
}
