using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Inventory;

/// <summary>
/// Who holds licenses: per app or book, user (clientUserId or e-mail) or device (serial number),
/// and whether VppPS assigned them. An app piped in (Get-VppLicensedApp) names one asset: its
/// AdamId, Token and PricingParam bind, so only that token's holders come back; tokens piped in
/// (Get-VppToken) bind -TokenObject.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VppLicense")]
[OutputType(typeof(LicenseHolder))]
public sealed class GetVppLicenseCommand : VppCmdlet
{
    /// <summary>App or book: a name (wildcards) or an adamId; binds AdamId from Get-VppLicensedApp.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("AdamId")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VppPS.Assignments.AssetNameCompleter))]
    public string[]? App { get; set; }

    /// <summary>clientUserId or e-mail address.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ClientUserId")]
    [ArgumentCompleter(typeof(VppUserEmailCompleter))]
    public string[]? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("SerialNumber")]
    [ArgumentCompleter(typeof(VppPS.Directory.SerialNumberCompleter))]
    public string[]? Device { get; set; }

    /// <summary>Token names (wildcards); binds the Token of apps, VPP users and assignments piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>STDQ or PLUS; binds the PricingParam of apps and assignments piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("STDQ", "PLUS")]
    public string[]? PricingParam { get; set; }

    /// <summary>Tokens from Get-VppToken: the licenses held under them.</summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineObject(PipelineTypes.Token)]
    public object[]? TokenObject { get; set; }

    /// <summary>How many licenses this command wrote (none: EndProcessing says when nothing was synced).</summary>
    private long _written;

    protected override void EndProcessing()
    {
        if (_written == 0) WarnWhenNothingSynced();
    }

    protected override void ProcessRecord()
    {
        var tokenIds = IdsOf(TokenObject);
        var filter = new LicenseFilter(App, User, Device, Token, tokenIds, PricingParam);
        // Streamed on the pipeline thread: a location can hold millions of licenses.
        try
        {
            var queries = new InventoryQueries(SessionStore.Current(SessionRunspace).Store);
            // Names that match nothing are errors (an app with no holder is not: it lists nothing).
            var missing = queries.MissingTokens(Token).ToList();
            if (missing.Count == 0)
            {
                missing.AddRange(queries.MissingAssets(null, App, Token, tokenIds));
                missing.AddRange(queries.MissingVppUsers(User, Token, tokenIds));
                missing.AddRange(queries.MissingDevices(Device));
            }
            WriteErrors(missing);
            foreach (var holder in queries.Licenses(filter))
            {
                if (Stopping) break;
                WriteObject(holder);
                _written++;
            }
        }
        catch (Exception failure) when (StateStore.Explain(failure) is { } e)
        {
            WriteError(ErrorMapper.ToErrorRecord(e));
        }
    }
}

/// <summary>VPP users of the locations, with their status and, for pending invitations, the URL to send.</summary>
[Cmdlet(VerbsCommon.Get, "VppUser")]
[OutputType(typeof(VppUser))]
public sealed class GetVppUserCommand : VppCmdlet
{
    [Parameter]
    [ValidateSet("Registered", "Associated", "Retired", "Deleted")]
    public string[]? Status { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Mail")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VppUserEmailCompleter))]
    public string[]? Email { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ClientUserId { get; set; }

    /// <summary>Tokens from Get-VppToken: their VPP users.</summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineObject(PipelineTypes.Token)]
    public object[]? TokenObject { get; set; }

    /// <summary>The type name of the users -Status Registered lists, which selects a view with the whole invitation URL.</summary>
    public const string InvitationTypeName = "VppPS.Engine.Inventory.VppUser#Invitation";

    /// <summary>How many users this command wrote (none: EndProcessing says when nothing was synced).</summary>
    private long _written;

    protected override void EndProcessing()
    {
        if (_written == 0) WarnWhenNothingSynced();
    }

    protected override void ProcessRecord()
    {
        var tokenIds = IdsOf(TokenObject);
        if (!TryRun(c =>
        {
            var queries = new InventoryQueries(c.Store);
            var missing = queries.MissingTokens(Token).ToList();
            if (missing.Count == 0) missing.AddRange(queries.MissingVppUsers((Email ?? []).Concat(ClientUserId ?? []), Token, tokenIds));
            return (Missing: missing, Users: queries.Users(Status, Token, Email, ClientUserId, tokenIds));
        }, out var found)) return;
        WriteErrors(found.Missing);
        var users = found.Users;
        var invitations = Status is { Length: > 0 } && Status.All(s => s.Equals("Registered", StringComparison.OrdinalIgnoreCase));
        foreach (var user in users)
        {
            _written++;
            if (!invitations)
            {
                // Written as they are: a wrapper per user is only needed to carry the invitation view's type name.
                WriteObject(user);
                continue;
            }
            var shown = PSObject.AsPSObject(user);
            shown.TypeNames.Insert(0, InvitationTypeName);
            WriteObject(shown);
        }
    }
}
