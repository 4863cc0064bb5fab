using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Assignments;
using VppPS.Engine.Tokens;
using VppPS.Directory;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Assignments;

/// <summary>
/// Lists assignments. Objects piped in narrow them: tokens (Get-VppToken) and groups
/// (Get-VppGroup) bind -TokenObject and -GroupObject; apps, licenses and plan items bind their
/// AdamId, Token and PricingParam, so an app from one token lists that token's assignments only.
/// </summary>
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

    /// <summary>Token names (wildcards); binds the Token of apps, licenses and plan items piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>STDQ or PLUS; binds the PricingParam of objects piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("STDQ", "PLUS")]
    public string[]? PricingParam { get; set; }

    /// <summary>Tokens from Get-VppToken: the assignments under them.</summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineObject(PipelineTypes.Token)]
    public object[]? TokenObject { get; set; }

    /// <summary>Groups from Get-VppGroup: the assignments to them.</summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineObject(PipelineTypes.Group)]
    public object[]? GroupObject { get; set; }

    protected override void ProcessRecord()
    {
        var tokenIds = IdsOf(TokenObject);
        var groupNames = GroupObject?.Select(g => PSObject.AsPSObject(g).Properties["Name"]?.Value?.ToString()).OfType<string>().ToArray();
        if (!TryRun(c =>
        {
            var queries = new Engine.Inventory.InventoryQueries(c.Store);
            // Names that match nothing are errors; an app or group with no assignment lists nothing.
            var missing = queries.MissingTokens(Token).ToList();
            if (missing.Count == 0) missing.AddRange(queries.MissingAssets(null, App, Token, tokenIds));
            var groups = new Engine.Directories.DirectoryService(c).ListGroups();
            foreach (var name in (Group ?? []).Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !groups.Any(g => string.Equals(g.Name, n, StringComparison.OrdinalIgnoreCase))))
                missing.Add(Engine.Directories.DirectoryService.GroupNotFound(name));
            var tokenNames = tokenIds is null ? null : new TokenService(c).List().Where(t => tokenIds.Contains(t.Id)).Select(t => t.Name).ToList();
            return (Missing: missing, All: new AssignmentService(c).List(), TokenNames: tokenNames);
        }, out var found)) return;
        WriteErrors(found.Missing);
        static bool Any(string[]? patterns, params string?[] values) => patterns is null ||
            patterns.Any(p => values.Any(new NamePattern(p).IsMatch));
        foreach (var assignment in found.All.Where(a => Any(App, a.App, a.AdamId) && Any(Group, a.Group) && Any(Token, a.Token)
                     && (PricingParam is null || PricingParam.Contains(a.PricingParam, StringComparer.OrdinalIgnoreCase))
                     && (found.TokenNames is null || found.TokenNames.Contains(a.Token, StringComparer.OrdinalIgnoreCase))
                     && (groupNames is null || groupNames.Contains(a.Group, StringComparer.OrdinalIgnoreCase))))
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

    /// <summary>Subscriptions, with -ReclaimLicenses: the seats end at once instead of at the end of the billing period.</summary>
    [Parameter]
    public SwitchParameter Immediately { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryRun(c => new AssignmentService(c).List(), out var all)) return;
        List<VppAssignment> targets;
        if (InputObject is not null)
        {
            // Only assignments carry an assignment's Id: anything else piped in is refused, not matched.
            if (!PipelineObjectAttribute.IsOf(InputObject, typeof(VppAssignment).FullName!))
            {
                WriteVppError(VppErrorKind.InvalidArgument, "VppNotAnAssignment",
                    $"'{InputObject}' is not an assignment: pipe the objects of Get-VppAssignment, or name one with -App and -Group.", InputObject);
                return;
            }
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
            // A subscription's Licensed count includes seats its members hold that VppPS did not give: only those it gave are taken back.
            var reclaim = assignment.ProductType == AssignmentService.SubscriptionProductType
                ? "Remove the assignment and take back at Apple the seats it gave"
                : $"Remove the assignment and reclaim its {assignment.LicensedCount} license(s) at Apple";
            if (!ShouldProcess(assignment.ToString(), ReclaimLicenses ? reclaim : "Remove the assignment (its licenses stay assigned)")) continue;
            if (TryRun(c => new AssignmentService(c).RemoveAsync(assignment.Id, ReclaimLicenses, CancelToken, Immediately).GetAwaiter().GetResult(), out var applied, assignment.ToString()) && applied is not null)
                WriteVerbose(assignment.ProductType == AssignmentService.SubscriptionProductType
                    ? $"{applied.SeatsDisassociated} subscription seat(s) taken back{(Immediately ? " at once" : ", ending at the end of the billing period")}, {applied.Failed} failed."
                    : $"{applied.Disassociated} license(s) reclaimed, {applied.Failed} failed.");
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

/// <summary>
/// Gives a member a license: what a self-service portal calls for an Available app; -Force grants it
/// directly. A subscription gets a seat for a user (directly; -Renewing:$false: it lapses at the period end).
/// </summary>
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

    /// <summary>Serial numbers; binds the SerialNumber of devices and group members piped in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByAppForDevice, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, ParameterSetName = ByInputObjectForDevice, ValueFromPipelineByPropertyName = true)]
    [Alias("SerialNumber")]
    [ArgumentCompleter(typeof(SerialNumberCompleter))]
    public string[]? Device { get; set; }

    /// <summary>Grant even when no Required or Available assignment covers the member.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Subscriptions: -Renewing:$false gives a seat that lapses at the end of the billing period. Left out: the seat renews.</summary>
    [Parameter]
    public SwitchParameter Renewing { get; set; }

    protected override void ProcessRecord()
    {
        var app = Selection();
        bool? renewing = MyInvocation.BoundParameters.ContainsKey(nameof(Renewing)) ? Renewing.IsPresent : null;
        foreach (var (user, device) in (User ?? []).Select(u => ((string?)u, (string?)null)).Concat((Device ?? []).Select(d => ((string?)null, (string?)d))))
        {
            var who = user ?? device!;
            if (!ShouldProcess(who, $"Give a license (or a subscription seat) of {app}{(Force ? " (direct, -Force)" : "")}{(renewing == false ? ", lapsing at the period end" : "")}")) continue;
            if (TryRun(c => new AssignmentService(c).AddLicenseAsync(app, user, device, Force, CancelToken, renewing).GetAwaiter().GetResult(), out var result, who))
                WriteObject(result);
        }
    }
}

/// <summary>Reclaims licenses at Apple (disassociate): for users, devices, a group, or all; only those VppPS gave unless -IncludeUnmanaged.</summary>
[Cmdlet(VerbsCommon.Remove, "VppAppLicense", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByApp)]
[OutputType(typeof(ApplyResult))]
public sealed class RemoveVppAppLicenseCommand : AppSelectionCmdlet
{
    /// <summary>The token the app was bought under; binds the Token of VPP users piped in (Get-VppUser).</summary>
    [Parameter(ParameterSetName = ByApp, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    public override string? Token { get; set; }

    /// <summary>User principal names, e-mail addresses or clientUserIds; binds them from directory users, group members and VPP users piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("UserPrincipalName", "ClientUserId")]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    public string[]? User { get; set; }

    /// <summary>Serial numbers; binds them from devices and group members piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
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

    /// <summary>Subscriptions: the seats end at once instead of at the end of the billing period.</summary>
    [Parameter]
    public SwitchParameter Immediately { get; set; }

    protected override void ProcessRecord()
    {
        var app = Selection();
        var (users, devices) = (User, Device);
        // A license piped in (Get-VppLicense) names its holder too: that one license is reclaimed.
        if (InputObject is not null && PipelineObjectAttribute.IsOf(InputObject, PipelineTypes.LicenseHolder) && users is null && devices is null && Group is null && !All
            && InputObject.Properties["Target"]?.Value?.ToString() is { } target)
        {
            if (InputObject.Properties["TargetType"]?.Value?.ToString() == "Device") devices = [target];
            else users = [target];
        }
        if (TryRun(c => new AssignmentService(c).RemoveLicensesAsync(app, users, devices, Group, All, IncludeUnmanaged, CancelToken, Immediately).GetAwaiter().GetResult(),
                out var result, app.ToString()))
            WriteObject(result);
    }
}
