using System.Management.Automation;
using VppPS.Engine.Tokens;

namespace VppPS.Tokens;

[Cmdlet(VerbsCommon.Set, "VppToken", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(VppToken))]
public sealed class SetVppTokenCommand : VppTokenCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AppleId { get; set; }

    [Parameter]
    [ValidatePattern("^[A-Za-z]{2}$")]
    public string? CountryOrRegion { get; set; }

    [Parameter]
    public bool AutomaticallyUpdateApps { get; set; }

    [Parameter]
    public SwitchParameter ClaimFromExternalMdm { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var change = new TokenSettingsChange(NewName, AppleId, CountryOrRegion?.ToUpperInvariant(),
            MyInvocation.BoundParameters.ContainsKey(nameof(AutomaticallyUpdateApps)) ? AutomaticallyUpdateApps : null, ClaimFromExternalMdm);
        foreach (var token in ResolveTokens())
        {
            var action = ClaimFromExternalMdm ? "Claim the location back for VppPS at Apple and change settings" : "Change settings";
            if (!ShouldProcess(token.Name, action)) continue;
            if (TryRun(c => new TokenService(c).SetAsync(token.Id, change, CancelToken).GetAwaiter().GetResult(), out var updated, token.Name) && PassThru)
                WriteObject(updated);
        }
    }
}
