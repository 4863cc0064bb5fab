using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Assignments;
using VppPS.Engine.Tokens;
using VppPS.Directory;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Assignments;

[Cmdlet(VerbsCommon.Get, "VppAssignment")]
[OutputType(typeof(VppAssignment))]
public sealed class GetVppAssignmentCommand : VppCmdlet
{
    /// <summary>App or book: name (wildcards) or adamId.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("AdamId")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(AssetNameCompleter))]
    public string[]? App { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(VppPS.Directory.GroupNameCompleter))]
    [SupportsWildcards]
    public string[]? Group { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryRun(c => new AssignmentService(c).List(), out var all)) return;
        static bool Any(string[]? patterns, params string?[] values) => patterns is null ||
            patterns.Any(p => values.Any(new NamePattern(p).IsMatch));
        foreach (var assignment in all.Where(a => Any(App, a.App, a.AdamId) && Any(Group, a.Group) && Any(Token, a.Token)))
            WriteObject(assignment);
    }
}

/// <summary>Removes assignments. The licenses they gave stay (as in Intune) unless -ReclaimLicenses.</summary>
[Cmdlet(VerbsCommon.Remove, "VppAssignment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByApp")]
[OutputType(typeof(void))]
public sealed class RemoveVppAssignmentCommand : VppCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByApp")]
    [ArgumentCompleter(typeof(AssetNameCompleter))]
    public string App { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = "ByApp")]
    [ArgumentCompleter(typeof(VppPS.Directory.GroupNameCompleter))]
    public string Group { get; set; } = "";

    [Parameter(ParameterSetName = "ByApp")]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    public string? Token { get; set; }

    /// <summary>Assignments from Get-VppAssignment.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "ByInputObject", ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>Take back the licenses the assignment gave.</summary>
    [Parameter]
    public SwitchParameter ReclaimLicenses { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryRun(c => new AssignmentService(c).List(), out var all)) return;
        List<VppAssignment> targets;
        if (InputObject is not null)
        {
            var id = InputObject.Properties["Id"]?.Value?.ToString();
            targets = all.Where(a => a.Id.ToString() == id).ToList();
        }
        else
            targets = all.Where(a => (string.Equals(a.App, App, StringComparison.OrdinalIgnoreCase) || a.AdamId == App)
                                     && string.Equals(a.Group, Group, StringComparison.OrdinalIgnoreCase)
                                     && (Token is null || string.Equals(a.Token, Token, StringComparison.OrdinalIgnoreCase))).ToList();
        if (targets.Count == 0)
        {
            WriteVppError(VppErrorKind.NotFound, "VppAssignmentNotFound", $"No assignment matches. Run Get-VppAssignment to list them.", App);
            return;
        }
        foreach (var assignment in targets)
        {
            if (!ShouldProcess(assignment.ToString(), ReclaimLicenses ? $"Remove the assignment and reclaim its {assignment.LicensedCount} license(s) at Apple" : "Remove the assignment (its licenses stay assigned)")) continue;
            if (TryRun(c => new AssignmentService(c).RemoveAsync(assignment.Id, ReclaimLicenses, CancelToken).GetAwaiter().GetResult(), out var applied, assignment.ToString()) && applied is not null)
                WriteVerbose($"{applied.Disassociated} license(s) reclaimed, {applied.Failed} failed.");
        }
    }
}

/// <summary>The pending plan as objects: what VppPS would ask Apple now, for whom, and why.</summary>
[Cmdlet(VerbsCommon.Get, "VppAssignmentPlan")]
[OutputType(typeof(PlanItem))]
public sealed class GetVppAssignmentPlanCommand : VppCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    public string? Token { get; set; }

    protected override void ProcessRecord() => RunAndWrite(c =>
    {
        VppToken? token = Token is null ? null : new TokenService(c).GetByName(Token);
        return new AssignmentService(c).PlanItems(token);
    });
}

/// <summary>Gives a member a license: what a self-service portal calls for an Available app; -Force grants it directly.</summary>
/// <remarks>Four parameter sets: the app by -App or piped in, for users (-User) or devices (-Device).</remarks>
[Cmdlet(VerbsCommon.Add, "VppAppLicense", SupportsShouldProcess = true, DefaultParameterSetName = ByApp)]
[OutputType(typeof(ApplyResult))]
public sealed class AddVppAppLicenseCommand : AppSelectionCmdlet
{
    private const string ByAppForDevice = "ByAppForDevice";
    private const string ByInputObjectForDevice = "ByInputObjectForDevice";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByApp)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByAppForDevice)]
    [ArgumentCompleter(typeof(AssetNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string App { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = ByInputObject, ValueFromPipeline = true)]
    [Parameter(Mandatory = true, ParameterSetName = ByInputObjectForDevice, ValueFromPipeline = true)]
    public override PSObject? InputObject { get; set; }

    [Parameter(ParameterSetName = ByApp)]
    [Parameter(ParameterSetName = ByAppForDevice)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    public override string? Token { get; set; }

    [Parameter(ParameterSetName = ByApp)]
    [Parameter(ParameterSetName = ByAppForDevice)]
    [ValidateSet("STDQ", "PLUS")]
    public override string? PricingParam { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ByApp, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, ParameterSetName = ByInputObject, ValueFromPipelineByPropertyName = true)]
    [Alias("UserPrincipalName", "Mail")]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    public string[]? User { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ByAppForDevice)]
    [Parameter(Mandatory = true, ParameterSetName = ByInputObjectForDevice)]
    [Alias("SerialNumber")]
    [ArgumentCompleter(typeof(SerialNumberCompleter))]
    public string[]? Device { get; set; }

    /// <summary>Grant even when no Required or Available assignment covers the member.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var app = Selection();
        foreach (var (user, device) in (User ?? []).Select(u => ((string?)u, (string?)null)).Concat((Device ?? []).Select(d => ((string?)null, (string?)d))))
        {
            var who = user ?? device!;
            if (!ShouldProcess(who, $"Give a license of {app}{(Force ? " (direct, -Force)" : "")}")) continue;
            if (TryRun(c => new AssignmentService(c).AddLicenseAsync(app, user, device, Force, CancelToken).GetAwaiter().GetResult(), out var result, who))
                WriteObject(result);
        }
    }
}

/// <summary>Reclaims licenses at Apple (disassociate): for users, devices, a group, or all; only those VppPS gave unless -IncludeUnmanaged.</summary>
[Cmdlet(VerbsCommon.Remove, "VppAppLicense", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByApp)]
[OutputType(typeof(ApplyResult))]
public sealed class RemoveVppAppLicenseCommand : AppSelectionCmdlet
{
    [Parameter]
    [Alias("UserPrincipalName", "ClientUserId")]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    public string[]? User { get; set; }

    [Parameter]
    [Alias("SerialNumber")]
    [ArgumentCompleter(typeof(SerialNumberCompleter))]
    public string[]? Device { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(VppPS.Directory.GroupNameCompleter))]
    public string? Group { get; set; }

    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>Also reclaim licenses assigned outside VppPS (by another tool or an earlier MDM).</summary>
    [Parameter]
    public SwitchParameter IncludeUnmanaged { get; set; }

    protected override void ProcessRecord()
    {
        var app = Selection();
        if (TryRun(c => new AssignmentService(c).RemoveLicensesAsync(app, User, Device, Group, All, IncludeUnmanaged, CancelToken).GetAwaiter().GetResult(),
                out var result, app.ToString()))
            WriteObject(result);
    }
}
