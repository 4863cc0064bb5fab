using System.Management.Automation;
using VppPS.Engine.Inventory;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Inventory;

/// <summary>What Get-VppLicensedApp and Get-VppLicensedBook share: the filters and the query.</summary>
public abstract class LicensedAssetCommand : VppCmdlet
{
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
        RunAndWrite(c => new InventoryQueries(c.Store).Assets(filter, Summary));
    }
}

[Cmdlet(VerbsCommon.Get, "VppLicensedApp")]
[OutputType(typeof(LicensedAsset))]
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
