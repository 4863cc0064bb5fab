using System.Management.Automation;
using VppPS.Engine.Tokens;

namespace VppPS.Tokens;

/// <summary>Lists tokens (every token when none is named), narrowed by state and expiry.</summary>
[Cmdlet(VerbsCommon.Get, "VppToken", DefaultParameterSetName = ByName)]
[OutputType(typeof(VppToken))]
public sealed class GetVppTokenCommand : VppTokenCmdlet
{
    [Parameter]
    [ValidateSet("valid", "expired", "invalid", "assignedToExternalMDM", "duplicateLocationId")]
    public string[]? State { get; set; }

    [Parameter]
    [ValidateRange(0, 3650)]
    public int ExpiringWithinDays { get; set; } = -1;

    protected override bool AllWhenNoneNamed => true;

    protected override void ProcessRecord()
    {
        var tokens = ResolveTokens().AsEnumerable();
        if (State is not null) tokens = tokens.Where(t => State.Contains(t.State.ToString(), StringComparer.OrdinalIgnoreCase));
        if (ExpiringWithinDays >= 0)
        {
            if (!TryRun(c => c.Clock.UtcNow, out var now)) return;
            tokens = tokens.Where(t => t.ExpirationDateTime <= now.AddDays(ExpiringWithinDays));
        }
        foreach (var token in tokens) WriteObject(token);
    }
}
