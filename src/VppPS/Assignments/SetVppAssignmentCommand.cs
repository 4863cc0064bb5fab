using System.Management.Automation;
using VppPS.Engine.Assignments;

namespace VppPS.Assignments;

/// <summary>
/// Assigns an app, book or subscription to a group with an intent and licensing type, then gives
/// or takes back exactly the licenses (or subscription seats) that follow, never more than owned.
/// -WhatIf writes the plan as objects.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VppAssignment", SupportsShouldProcess = true, DefaultParameterSetName = ByApp)]
[OutputType(typeof(VppAssignment), typeof(PlanItem))]
public sealed class SetVppAssignmentCommand : AppSelectionCmdlet
{
    /// <summary>The group; binds the Group of assignments piped in (Get-VppAssignment) and of groups piped in (Get-VppGroup).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(VppPS.Directory.GroupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Group { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateSet("Required", "Available", "Uninstall")]
    public string Intent { get; set; } = "";

    /// <summary>User or Device; by default Device for device groups and User for user groups.</summary>
    [Parameter]
    [ValidateSet("User", "Device")]
    public string? LicenseType { get; set; }

    /// <summary>Record the assignment even when licenses are short; members are licensed up to what is available.</summary>
    [Parameter]
    public SwitchParameter AllowShortage { get; set; }

    /// <summary>Record the assignment only; the next Sync-VppToken applies it (with others, in fewer requests).</summary>
    [Parameter]
    public SwitchParameter Defer { get; set; }

    /// <summary>Subscriptions: -Renewing:$false gives seats that lapse at the end of the billing period. Left out: as the assignment says (a new one: renewing).</summary>
    [Parameter]
    public SwitchParameter Renewing { get; set; }

    /// <summary>Subscriptions: seats the assignment takes back (Uninstall, members who leave the group) end at once, not at the end of the billing period.</summary>
    [Parameter]
    public SwitchParameter Immediately { get; set; }

    private readonly Dictionary<string, string> _piped = new(StringComparer.Ordinal);

    /// <summary>With -WhatIf: false (after the error) when this app came in this pipeline already, from another token or pricing.</summary>
    private bool SameAppOnce(SetAssignmentRequest request)
    {
        if (InputObject is null || request.App.AdamId is not { } adamId || Intent.Equals("Uninstall", StringComparison.OrdinalIgnoreCase)) return true;
        var source = $"{InputObject.Properties["Token"]?.Value} {request.App.PricingParam}";
        if (!_piped.TryGetValue(adamId, out var first)) { _piped[adamId] = source; return true; }
        if (first == source) return true;
        WriteVppError(Engine.VppErrorKind.InvalidArgument, "VppAppAssignedFromAnotherToken",
            $"'{request.App}' came from several tokens in this pipeline ({first.Trim()}, then {source.Trim()}): assigning it to '{Group}' from both would give every member " +
            "a second license of the same app. Keep one token per app and group: narrow the apps with -Token (Get-VppLicensedApp -Name ... -Token ...).", request.App.ToString());
        return false;
    }

    protected override void ProcessRecord()
    {
        var request = new SetAssignmentRequest(Selection(), Group, Enum.Parse<AssignmentIntent>(Intent, true),
            LicenseType is null ? null : Enum.Parse<Engine.Assignments.LicenseType>(LicenseType, true), AllowShortage,
            MyInvocation.BoundParameters.ContainsKey(nameof(Renewing)) ? Renewing.IsPresent : null,
            MyInvocation.BoundParameters.ContainsKey(nameof(Immediately)) ? Immediately.IsPresent : null);
        var target = $"{request.App} -> group '{Group}'";
        if (!ShouldProcess(target, $"Assign as {Intent}{(LicenseType is null ? "" : $" with {LicenseType} licensing")} and give or take back the licenses that follow"))
        {
            // -WhatIf records nothing, so the engine cannot see that an earlier item of this pipeline
            // assigned the same app from another token: the plan would show a second license per member.
            if (MyInvocation.BoundParameters.ContainsKey("WhatIf") && !SameAppOnce(request)) return;
            // -WhatIf: the plan, computed by the code that would apply it, as objects.
            if (MyInvocation.BoundParameters.ContainsKey("WhatIf") && TryRun(c => new AssignmentService(c).SetAsync(request, whatIf: true, CancelToken).GetAwaiter().GetResult(), out var trial, target))
                WriteObject(trial.Plan, enumerateCollection: true);
            return;
        }
        if (!TryRun(c => new AssignmentService(c).SetAsync(request, whatIf: false, CancelToken, Defer).GetAwaiter().GetResult(), out var result, target)) return;
        if (result.AppliedLater is { } later)
            WriteWarning(later);
        if (result.Applied is { } applied)
            WriteVerbose($"{applied.Token}: {applied.Associated} licenses given, {applied.Disassociated} taken back, " +
                         $"{applied.SeatsAssociated} subscription seats given, {applied.SeatsDisassociated} taken back, {applied.UsersCreated} VPP users created, {applied.UsersAdopted} existing VPP users adopted, " +
                         $"{applied.Failed} failed, {applied.Waiting} waiting for licenses ({applied.Requests} requests).");
        // Members waiting for this assignment's app (others of the token's plan wait for other apps).
        if (result.Applied?.WaitingFor(result.Assignment.AdamId, result.Assignment.PricingParam) is > 0 and var waiting)
            WriteWarning($"{waiting} member(s) wait for a {(result.Assignment.ProductType == AssignmentService.SubscriptionProductType ? "seat" : "license")} of {result.Assignment.App ?? result.Assignment.AdamId}: " +
                         "they get one when more are bought or freed (next sync). See Get-VppAssignmentPlan.");
        if (result.Applied is { Failed: > 0 } failed)
            WriteWarning($"Apple refused {failed.Failed} license(s); they are retried at the next sync. See Get-VppAssignmentPlan for Apple's errors.");
        WriteObject(result.Assignment);
    }
}
