using System.Management.Automation;
using VppPS.Engine.Inventory;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Inventory;

/// <summary>
/// What Get-VppLicensedApp and Get-VppLicensedBook share: the filters and the query. Tokens piped
/// in (Get-VppToken) bind -TokenObject and list what was bought under them; other objects bind
/// by property name: AdamId, Token and PricingParam name one asset (licenses, assignments, plan
/// items), Name and BundleId an app by name. A token's own Name never binds -Name.
/// </summary>
public abstract class LicensedAssetCommand : VppCmdlet
{
    /// <summary>The type name of -Summary's objects, which selects their view.</summary>
    public const string SummaryTypeName = "VppPS.Engine.Inventory.LicensedAsset#Summary";

    private const string ByName = "ByName";
    private const string ByTokenObject = "ByTokenObject";

    protected abstract string ProductType { get; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Parameter(Position = 0, ParameterSetName = ByTokenObject)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VppPS.Assignments.AssetNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ByTokenObject)]
    public string[]? AdamId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ByTokenObject)]
    public string[]? BundleId { get; set; }

    /// <summary>Token names (wildcards); binds the Token of licenses, assignments and plan items piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ByTokenObject)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>STDQ or PLUS; binds the PricingParam of objects piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ByTokenObject)]
    [ValidateSet("STDQ", "PLUS")]
    public string[]? PricingParam { get; set; }

    /// <summary>Tokens from Get-VppToken: what was bought under them.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByTokenObject)]
    [PipelineObject(PipelineTypes.Token)]
    public object[]? TokenObject { get; set; }

    /// <summary>Binds the ClientUserId of VPP users piped in (Get-VppUser), to refuse them: a user's licenses are listed by Get-VppLicense -User.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByName, DontShow = true)]
    public string? ClientUserId { get; set; }

    /// <summary>Only those with no license left to hand out.</summary>
    [Parameter]
    public SwitchParameter NoLicensesLeft { get; set; }

    /// <summary>Only those with more licenses in use than owned.</summary>
    [Parameter]
    public SwitchParameter OverAssigned { get; set; }

    /// <summary>One line per app or book, counts added up over every token.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>How many objects this command wrote (none: EndProcessing says when nothing was synced).</summary>
    private long _written;

    protected override void EndProcessing()
    {
        if (_written == 0) WarnWhenNothingSynced();
    }

    protected override void ProcessRecord()
    {
        // A VPP user piped in binds only its Token here, which would list every app of the token as if they were the user's.
        if (ClientUserId is not null)
        {
            WriteVppError(VppPS.Engine.VppErrorKind.InvalidArgument, "VppNotAnApp",
                $"'{ClientUserId}' is a VPP user, not an app or book: list the licenses it holds with Get-VppLicense -User '{ClientUserId}' (or pipe it into Get-VppLicense).", ClientUserId);
            return;
        }
        var tokenIds = IdsOf(TokenObject);
        var filter = new AssetFilter(ProductType, Name, AdamId, BundleId, Token, NoLicensesLeft, OverAssigned, tokenIds, PricingParam);
        // A name or adamId given without wildcards that matches nothing is an error, as for tokens
        // (the token named is unknown, the app is a skipped custom B2B app, or no synced app has it).
        if (!TryRun(c =>
        {
            var queries = new InventoryQueries(c.Store);
            var missing = queries.MissingTokens(Token).ToList();
            if (missing.Count == 0) missing.AddRange(queries.MissingAssets(ProductType, (Name ?? []).Concat(AdamId ?? []), Token, tokenIds));
            return (Missing: missing, Assets: queries.Assets(filter, Summary));
        }, out var found)) return;
        WriteErrors(found.Missing);
        var assets = found.Assets;
        if (Summary)
        {
            // Its own view (module/VppPS.format.ps1xml): counts over every token, no token column.
            foreach (var asset in assets)
            {
                var shown = PSObject.AsPSObject(asset);
                shown.TypeNames.Insert(0, SummaryTypeName);
                WriteObject(shown);
                _written++;
            }
            // Apps' subscriptions follow, one line each with the seats that lapse at the next period end (their own view).
            if (ProductType == "App" && AdamId is null && BundleId is null && !NoLicensesLeft && !OverAssigned
                && TryRun(c => new VppPS.Engine.Subscriptions.SubscriptionService(c).List(), out var subscriptions))
                foreach (var subscription in VppPS.Subscriptions.GetVppSubscriptionCommand.Select(subscriptions, Name, Token, summary: true, notFound: null,
                             VppPS.Subscriptions.GetVppSubscriptionCommand.AppSummaryTypeName))
                    WriteObject(subscription);
            return;
        }
        // Token by token (the default view groups by token), by name within a token.
        foreach (var asset in assets.OrderBy(a => a.Token, StringComparer.OrdinalIgnoreCase))
        {
            WriteObject(asset);
            _written++;
        }
    }
}

[Cmdlet(VerbsCommon.Get, "VppLicensedApp", DefaultParameterSetName = "ByName")]
[OutputType(typeof(LicensedAsset), typeof(VppPS.Engine.Subscriptions.VppSubscription))]
public sealed class GetVppLicensedAppCommand : LicensedAssetCommand
{
    protected override string ProductType => "App";
}

[Cmdlet(VerbsCommon.Get, "VppLicensedBook", DefaultParameterSetName = "ByName")]
[OutputType(typeof(LicensedAsset))]
public sealed class GetVppLicensedBookCommand : LicensedAssetCommand
{
    protected override string ProductType => "Book";
}
