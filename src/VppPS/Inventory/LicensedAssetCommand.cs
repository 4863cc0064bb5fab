using System.Management.Automation;
using VppPS.Engine.Inventory;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Inventory;

/// <summary>What Get-VppLicensedApp and Get-VppLicensedBook share: the filters and the query.</summary>
public abstract class LicensedAssetCommand : VppCmdlet
{
    /// <summary>The type name of -Summary's objects, which selects their view.</summary>
    public const string SummaryTypeName = "VppPS.Engine.Inventory.LicensedAsset#Summary";

    protected abstract string ProductType { get; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VppPS.Assignments.AssetNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? AdamId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? BundleId { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>Only those with no license left to hand out.</summary>
    [Parameter]
    public SwitchParameter NoLicensesLeft { get; set; }

    /// <summary>Only those with more licenses in use than owned.</summary>
    [Parameter]
    public SwitchParameter OverAssigned { get; set; }

    /// <summary>One line per app or book, counts added up over every token.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    protected override void ProcessRecord()
    {
        var filter = new AssetFilter(ProductType, Name, AdamId, BundleId, Token, NoLicensesLeft, OverAssigned);
        if (!TryRun(c => new InventoryQueries(c.Store).Assets(filter, Summary), out var assets)) return;
        if (Summary)
        {
            // Its own view (module/VppPS.format.ps1xml): counts over every token, no token column.
            foreach (var asset in assets)
            {
                var shown = PSObject.AsPSObject(asset);
                shown.TypeNames.Insert(0, SummaryTypeName);
                WriteObject(shown);
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
        foreach (var asset in assets.OrderBy(a => a.Token, StringComparer.OrdinalIgnoreCase)) WriteObject(asset);
    }
}

[Cmdlet(VerbsCommon.Get, "VppLicensedApp")]
[OutputType(typeof(LicensedAsset), typeof(VppPS.Engine.Subscriptions.VppSubscription))]
public sealed class GetVppLicensedAppCommand : LicensedAssetCommand
{
    protected override string ProductType => "App";
}

[Cmdlet(VerbsCommon.Get, "VppLicensedBook")]
[OutputType(typeof(LicensedAsset))]
public sealed class GetVppLicensedBookCommand : LicensedAssetCommand
{
    protected override string ProductType => "Book";
}
