using System.Management.Automation;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Tokens;
using SubscriptionManagementState = VppPS.Engine.Subscriptions.SubscriptionManagement;

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

    /// <summary>Declares to Apple whether VppPS manages subscriptions for the token's organizational unit (location).</summary>
    [Parameter]
    [ValidateSet("Enabled", "Disabled")]
    public string? SubscriptionManagement { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var change = new TokenSettingsChange(NewName, AppleId, CountryOrRegion?.ToUpperInvariant(),
            MyInvocation.BoundParameters.ContainsKey(nameof(AutomaticallyUpdateApps)) ? AutomaticallyUpdateApps : null, ClaimFromExternalMdm);
        var declare = MyInvocation.BoundParameters.ContainsKey(nameof(SubscriptionManagement));
        var settings = MyInvocation.BoundParameters.Keys.Any(k => k is nameof(NewName) or nameof(AppleId) or nameof(CountryOrRegion) or nameof(AutomaticallyUpdateApps) or nameof(ClaimFromExternalMdm));
        foreach (var token in ResolveTokens())
        {
            var action = ClaimFromExternalMdm ? "Claim the organizational unit (location) back for VppPS at Apple and change settings" : "Change settings";
            if (declare)
                action = (settings ? action + ", and declare" : "Declare") +
                    $" to Apple that subscription management is {SubscriptionManagement!.ToLowerInvariant()} (content managers see it in Apple Business / Apple School Manager)";
            if (!ShouldProcess(token.Name, action)) continue;
            if (!TryRun(c => new TokenService(c).SetAsync(token.Id, change, CancelToken).GetAwaiter().GetResult(), out var updated, token.Name)) continue;
            // TryRun clears its out variable before the work runs: the work reads another one.
            var settled = updated;
            if (declare && !TryRun(c => new SubscriptionService(c).DeclareAsync(settled, Enum.Parse<SubscriptionManagementState>(SubscriptionManagement!, ignoreCase: true), CancelToken).GetAwaiter().GetResult(), out updated, token.Name)) continue;
            if (PassThru) WriteObject(updated);
        }
    }
}
