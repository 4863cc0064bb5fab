using System.Management.Automation;
using VppPS.Engine.Tokens;

namespace VppPS.Tokens;

/// <summary>
/// Health of tokens: expiry windows, state, sync. -Quiet answers true when every token is healthy,
/// and false when there is no token at all: a runbook whose state was lost must alert, not pass.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "VppToken", DefaultParameterSetName = ByName)]
[OutputType(typeof(TokenHealth), typeof(bool))]
public sealed class TestVppTokenCommand : VppTokenCmdlet
{
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>Ask Apple now (client/config) instead of judging from the last known state.</summary>
    [Parameter]
    public SwitchParameter Online { get; set; }

    private bool _healthy = true;
    private int _tested;

    protected override bool AllWhenNoneNamed => true;

    protected override void ProcessRecord()
    {
        foreach (var token in ResolveTokens())
        {
            _tested++;
            if (!TryRun(c =>
            {
                var service = new TokenService(c);
                var current = Online ? service.CheckOnlineAsync(token, CancelToken).GetAwaiter().GetResult() : token;
                return service.Test(current);
            }, out var findings, token.Name)) { _healthy = false; continue; }
            if (findings.Any(f => f.Severity != HealthSeverity.Information)) _healthy = false;
            if (!Quiet) WriteObject(findings, enumerateCollection: true);
        }
    }

    protected override void EndProcessing()
    {
        if (_tested == 0 && ParameterSetName == ByName && Name.Length == 0)
            WriteWarning("There is no token to test: add one with Add-VppToken (or check VPPPS_HOME: this state holds none)." + (Quiet ? " -Quiet answers $false." : ""));
        if (Quiet) WriteObject(_healthy && _tested > 0);
    }
}
