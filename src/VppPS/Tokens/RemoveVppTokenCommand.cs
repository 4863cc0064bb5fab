using System.Management.Automation;
using VppPS.Engine.Assignments;
using VppPS.Engine.Tokens;

namespace VppPS.Tokens;

/// <summary>
/// Removes tokens. Refuses while VppPS holds licenses or subscription seats it assigned under the
/// token, unless -RevokeLicenses (reclaim them at Apple first, seats at once) or -Force (forget
/// them; they stay at Apple).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "VppToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(void))]
public sealed class RemoveVppTokenCommand : VppTokenCmdlet
{
    [Parameter]
    public SwitchParameter RevokeLicenses { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (RevokeLicenses && Force)
        {
            ThrowVppError(Engine.VppErrorKind.InvalidArgument, "VppConflictingSwitches",
                "Use either -RevokeLicenses (reclaim the licenses at Apple, then remove) or -Force (remove and leave them at Apple), not both.");
        }
        var policy = RevokeLicenses ? LicensePolicy.Revoke : Force ? LicensePolicy.Forget : LicensePolicy.Refuse;
        foreach (var token in ResolveTokens())
        {
            var what = policy switch
            {
                LicensePolicy.Revoke => "Reclaim the licenses and subscription seats VppPS assigned under it at Apple (seats at once), then remove the token",
                LicensePolicy.Forget => "Remove the token and forget the licenses and subscription seats VppPS assigned under it (they stay assigned at Apple)",
                _ => "Remove the token",
            };
            if (!ShouldProcess($"{token.Name} ({token.OrganizationName} / {token.LocationName})", what)) continue;
            if (TryRun(c => new TokenRemoval(c).RemoveAsync(token.Id, policy, CancelToken).GetAwaiter().GetResult(), out var summary, token.Name))
                WriteVerbose($"{token.Name}: {summary}.");
        }
    }
}
