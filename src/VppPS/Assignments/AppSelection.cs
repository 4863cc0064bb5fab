using System.Management.Automation;
using VppPS.Engine.Assignments;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Assignments;

/// <summary>
/// How the assignment cmdlets name an app or book: -App (a name or an adamId) with -Token and
/// -PricingParam when it is bought several times, or objects of Get-VppLicensedApp/Book piped in.
/// The parameters are virtual so that a cmdlet which needs more parameter sets (Add-VppAppLicense:
/// a user or a device) can declare them again with its own sets; PowerShell then reads the
/// attributes of the override only.
/// </summary>
public abstract class AppSelectionCmdlet : VppCmdlet
{
    protected const string ByApp = "ByApp";
    protected const string ByInputObject = "ByInputObject";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByApp)]
    [ArgumentCompleter(typeof(AssetNameCompleter))]
    [ValidateNotNullOrEmpty]
    public virtual string App { get; set; } = "";

    /// <summary>Apps or books from Get-VppLicensedApp / Get-VppLicensedBook.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByInputObject, ValueFromPipeline = true)]
    public virtual PSObject? InputObject { get; set; }

    [Parameter(ParameterSetName = ByApp)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    public virtual string? Token { get; set; }

    [Parameter(ParameterSetName = ByApp)]
    [ValidateSet("STDQ", "PLUS")]
    public virtual string? PricingParam { get; set; }

    protected AssetSelector Selection()
    {
        if (InputObject is null)
            return IsAdamId(App) ? new AssetSelector(App, null, Token, PricingParam) : new AssetSelector(null, App, Token, PricingParam);
        string? Property(string name) => InputObject!.Properties[name]?.Value?.ToString();
        var tokenId = Guid.TryParse(Property("TokenId"), out var id) ? id : (Guid?)null;
        var adamId = Property("AdamId") ?? throw new PSArgumentException("Pipe apps or books from Get-VppLicensedApp or Get-VppLicensedBook (objects with AdamId).");
        // The name only labels messages and -WhatIf; the adamId and token pick the asset.
        return new AssetSelector(adamId, Property("Name"), tokenId is null ? Property("Token") : null, Property("PricingParam"), tokenId);
    }

    private static bool IsAdamId(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);
}
