using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Subscriptions;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Subscriptions;

/// <summary>
/// Subscriptions bought under the tokens, with their seats by renewal state, as the last sync
/// read them; tokens by -Token (wildcards) or piped from Get-VppToken.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VppSubscription", DefaultParameterSetName = ByToken)]
[OutputType(typeof(VppSubscription))]
public sealed class GetVppSubscriptionCommand : VppCmdlet
{
    private const string ByToken = "ByToken";
    private const string ByInputObject = "ByInputObject";

    /// <summary>The type name of -Summary's objects, which selects their view.</summary>
    public const string SummaryTypeName = "VppPS.Engine.Subscriptions.VppSubscription#Summary";

    /// <summary>The type name of Get-VppLicensedApp -Summary's subscription lines: shown in the apps' summary table.</summary>
    public const string AppSummaryTypeName = "VppPS.Engine.Subscriptions.VppSubscription#AppSummary";

    /// <summary>The subscription's adamId, its name, or its parent app's name (wildcards).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SubscriptionNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = ByToken)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>Tokens from Get-VppToken (any object with the token's Id).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByInputObject, ValueFromPipeline = true)]
    public PSObject[] InputObject { get; set; } = [];

    /// <summary>One line per subscription, seats added up over every token.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyCollection<Guid>? tokenIds = null;
        if (ParameterSetName == ByInputObject)
        {
            var ids = new List<Guid>();
            foreach (var item in InputObject)
            {
                if (item.Properties["Id"]?.Value is { } value && Guid.TryParse(value.ToString(), out var id)) ids.Add(id);
                else WriteVppError(VppErrorKind.InvalidArgument, "VppNotAToken", $"'{item}' is not a token: pipe the objects of Get-VppToken.", item);
            }
            if (ids.Count == 0) return;
            tokenIds = ids;
        }
        if (!TryRun(c => new SubscriptionService(c).List(tokenIds), out var subscriptions)) return;
        foreach (var subscription in Select(subscriptions, Name, Token, Summary, (message, target) => WriteVppError(VppErrorKind.NotFound, "VppSubscriptionNotFound", message, target)))
            WriteObject(subscription);
    }

    /// <summary>
    /// The subscriptions the names and token patterns select; a name without wildcards that
    /// matches none is reported to <paramref name="notFound"/> (message, target). With <paramref name="summary"/>, one line per
    /// subscription (its own view).
    /// </summary>
    internal static IEnumerable<PSObject> Select(IReadOnlyList<VppSubscription> all, string[]? names, string[]? tokens, bool summary, Action<string, object>? notFound,
        string summaryTypeName = SummaryTypeName)
    {
        var tokenPatterns = NamePattern.From(tokens);
        var inTokens = all.Where(s => tokenPatterns is null || tokenPatterns.Any(p => p.IsMatch(s.Token))).ToList();
        var selected = inTokens;
        if (names is { Length: > 0 })
        {
            selected = [];
            foreach (var name in names)
            {
                var pattern = new NamePattern(name);
                var matches = inTokens.Where(s => pattern.IsMatch(s.AdamId) || pattern.IsMatch(s.Name) || pattern.IsMatch(s.ParentApp) || pattern.IsMatch(s.DisplayName)).ToList();
                if (matches.Count == 0 && notFound is not null && !WildcardPattern.ContainsWildcardCharacters(name))
                    notFound(
                        $"No subscription{(tokens is { Length: > 0 } ? $" under '{string.Join("', '", tokens)}'" : "")} has the adamId or name '{name}', nor belongs to an app of that name. " +
                        "Run Get-VppSubscription to list them (Sync-VppToken reads them from Apple).", name);
                selected.AddRange(matches.Where(m => !selected.Contains(m)));
            }
        }
        if (!summary)
            return selected.Select(s => PSObject.AsPSObject(s));
        return SubscriptionService.Summarize(selected).Select(s =>
        {
            var shown = PSObject.AsPSObject(s);
            shown.TypeNames.Insert(0, summaryTypeName);
            return shown;
        });
    }
}

/// <summary>
/// Who holds a subscription seat, and whether the seat renews or ends at the period end.
/// Seats have a renewal state and a billing period that app licenses do not, and are held by
/// users only, so they are listed here rather than by Get-VppLicense.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VppSubscriptionSeat")]
[OutputType(typeof(SubscriptionSeat))]
public sealed class GetVppSubscriptionSeatCommand : VppCmdlet
{
    /// <summary>The subscription's adamId, its name, or its parent app's name (wildcards); binds AdamId from Get-VppSubscription.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("AdamId")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SubscriptionNameCompleter))]
    public string[]? Subscription { get; set; }

    /// <summary>clientUserId or e-mail address (wildcards).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ClientUserId")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VppPS.Inventory.VppUserEmailCompleter))]
    public string[]? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>Only the seats that end at the period end (assigned with -Renewing:$false, not renewing any more, or taken back deferred).</summary>
    [Parameter]
    public SwitchParameter Expiring { get; set; }

    protected override void ProcessRecord()
    {
        if (!TryRun(c => (Subscriptions: new SubscriptionService(c).List(), Seats: new SubscriptionService(c).Seats()), out var read)) return;
        var tokenPatterns = NamePattern.From(Token);
        var subscriptionPatterns = NamePattern.From(Subscription);
        var userPatterns = NamePattern.From(User);
        var known = read.Subscriptions.ToDictionary(s => (s.Token, s.AdamId));
        foreach (var seat in read.Seats)
        {
            if (tokenPatterns is not null && !tokenPatterns.Any(p => p.IsMatch(seat.Token))) continue;
            if (subscriptionPatterns is not null)
            {
                var subscription = known.GetValueOrDefault((seat.Token, seat.AdamId));
                if (!subscriptionPatterns.Any(p => p.IsMatch(seat.AdamId) || p.IsMatch(seat.Subscription) || p.IsMatch(seat.ParentApp) || p.IsMatch(subscription?.Name))) continue;
            }
            if (userPatterns is not null && !userPatterns.Any(p => p.IsMatch(seat.ClientUserId) || p.IsMatch(seat.UserEmail))) continue;
            if (Expiring && seat.Renewing && !seat.Ending) continue;
            WriteObject(seat);
        }
    }
}
