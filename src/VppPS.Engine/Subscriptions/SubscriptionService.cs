using VppPS.Engine.Apple;
using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Subscriptions;

/// <summary>Subscriptions as the last sync read them, their seats, and the token's declaration to Apple.</summary>
public sealed class SubscriptionService
{
    private readonly VppContext _context;
    private readonly TokenService _tokens;

    public SubscriptionService(VppContext context)
    {
        _context = context;
        _tokens = new TokenService(context);
    }

    /// <summary>Subscriptions of the given tokens (every token when null).</summary>
    public IReadOnlyList<VppSubscription> List(IReadOnlyCollection<Guid>? tokenIds = null) =>
        _context.Store.Read(c => SubscriptionStore.Subscriptions(c, tokenIds));

    /// <summary>Seats of the given tokens (every token when null).</summary>
    public IReadOnlyList<SubscriptionSeat> Seats(IReadOnlyCollection<Guid>? tokenIds = null) =>
        _context.Store.Read(c => SubscriptionStore.Seats(c, tokenIds)).Select(s => s.Seat).ToList();

    /// <summary>One line per subscription adamId, seats added up over every token.</summary>
    public static IReadOnlyList<VppSubscription> Summarize(IEnumerable<VppSubscription> subscriptions) =>
        subscriptions.GroupBy(s => s.AdamId).Select(g => g.First() with
        {
            Token = string.Join(", ", g.Select(s => s.Token)),
            TokenId = null,
            // The next period end of any of them: the forecast is about the nearest lapse.
            PeriodEndDate = g.Min(s => s.PeriodEndDate),
            AssignedRenewing = g.Sum(s => s.AssignedRenewing),
            AssignedExpiring = g.Sum(s => s.AssignedExpiring),
            AvailableRenewing = g.Sum(s => s.AvailableRenewing),
            AvailableExpiring = g.Sum(s => s.AvailableExpiring),
            TotalRenewing = g.Sum(s => s.TotalRenewing),
            TotalExpiring = g.Sum(s => s.TotalExpiring),
            TokenCount = g.Count(),
        }).OrderBy(s => s.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>
    /// Declares to Apple whether the token's management service supports subscriptions (POST
    /// subscriptions/enable or /disable), checks that Apple recorded it, and keeps it. Disabling
    /// while the organizational unit owns subscriptions is refused by Apple (9818): nothing changes.
    /// </summary>
    public async Task<VppToken> DeclareAsync(VppToken token, SubscriptionManagement management, CancellationToken cancellationToken)
    {
        TokenService.EnsureWritable(token);
        var enable = management == SubscriptionManagement.Enabled;
        Apple.Wire.SubscriptionManagementResponse answer;
        try
        {
            answer = await _tokens.CallAsync(token, client => client.SetSubscriptionManagementAsync(enable, cancellationToken)).ConfigureAwait(false);
        }
        catch (VppException e) when (e.AppleErrorNumber == AppleErrorNumbers.SubscriptionsExist)
        {
            throw new VppException(VppErrorKind.Conflict, "VppSubscriptionsExist",
                $"Subscription management cannot be disabled for '{token.Name}': its organizational unit (location) still owns subscriptions (Apple error 9818). " +
                "It stays as it was; disable it once the subscriptions have ended in Apple Business / Apple School Manager (Get-VppSubscription lists them).", token.Name, e)
                { AppleErrorNumber = e.AppleErrorNumber };
        }
        if (answer.SubscriptionManagement is { } recorded && recorded != enable)
            throw new VppException(VppErrorKind.AppleError, "VppSubscriptionManagementNotRecorded",
                $"Apple answered that subscription management is {(recorded ? "enabled" : "disabled")} for '{token.Name}' after VppPS asked to {(enable ? "enable" : "disable")} it. " +
                "Run the command again; if it persists, check the token's organizational unit (location) in Apple Business / Apple School Manager.", token.Name);
        var now = _context.Clock.UtcNow;
        _context.Store.Write((c, t) =>
        {
            var key = TokenStore.Key(c, t, token.Id)!.Value;
            SubscriptionStore.SetManagement(c, t, key, management, now);
            _context.Journal.Write(c, t, "token:" + token.Name, "Set", $"subscription management declared {management.ToString().ToLowerInvariant()} to Apple");
        });
        return _tokens.Get(token.Id);
    }
}
