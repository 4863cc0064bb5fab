using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Assignments;

/// <summary>What to do with licenses VppPS assigned under a token that is being removed.</summary>
public enum LicensePolicy
{
    /// <summary>Refuse while such licenses exist.</summary>
    Refuse,
    /// <summary>Reclaim them at Apple first (disassociate), then remove.</summary>
    Revoke,
    /// <summary>Forget them locally; they stay assigned at Apple.</summary>
    Forget,
}

/// <summary>
/// Removes tokens without silently leaving licenses VppPS handed out behind at Apple. It lives with
/// the assignments (it reclaims through the applier), so that Tokens depends on nothing above it.
/// </summary>
public sealed class TokenRemoval
{
    private readonly VppContext _context;
    private readonly TokenService _tokens;

    public TokenRemoval(VppContext context)
    {
        _context = context;
        _tokens = new TokenService(context);
    }

    /// <summary>Licenses VppPS assigned under the token: (adamId, pricingParam, targetKind, target, revocable).</summary>
    public IReadOnlyList<(string AdamId, string PricingParam, int TargetKind, string Target, bool Revocable)> ManagedLicenses(Guid tokenId) =>
        _context.Store.Read(c =>
        {
            using var command = c.Command(null, """
                SELECT m.adam_id, m.pricing_param, m.target_kind, m.target, coalesce(a.revocable, 1)
                FROM managed_licenses m
                JOIN tokens t ON t.key = m.token_key
                LEFT JOIN assets a ON a.token_key = m.token_key AND a.adam_id = m.adam_id AND a.pricing_param = m.pricing_param
                WHERE t.id = $id
                """, ("$id", tokenId.ToString()));
            using var reader = command.ExecuteReader();
            var list = new List<(string, string, int, string, bool)>();
            while (reader.Read()) list.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetInt64(4) != 0));
            return list;
        });

    /// <summary>
    /// Subscription seats VppPS gave under the token that Apple still lists (as last read or
    /// recorded), those already ending at the period end included: (adamId, clientUserId).
    /// </summary>
    public IReadOnlyList<(string AdamId, string ClientUserId)> ManagedSeats(Guid tokenId) =>
        _context.Store.Read(c =>
        {
            using var command = c.Command(null, """
                SELECT ms.adam_id, ms.client_user_id
                FROM managed_seats ms
                JOIN tokens t ON t.key = ms.token_key
                JOIN subscription_seats ss ON ss.token_key = ms.token_key AND ss.adam_id = ms.adam_id AND ss.client_user_id = ms.client_user_id
                WHERE t.id = $id ORDER BY ms.adam_id, ms.client_user_id
                """, ("$id", tokenId.ToString()));
            using var reader = command.ExecuteReader();
            var list = new List<(string, string)>();
            while (reader.Read()) list.Add((reader.GetString(0), reader.GetString(1)));
            return list;
        });

    /// <summary>Removes the token; returns what was done, in a sentence for the user.</summary>
    public async Task<string> RemoveAsync(Guid id, LicensePolicy policy, CancellationToken cancellationToken)
    {
        var token = _tokens.Get(id);
        // Under the token's lease: no sync or plan of the token runs while its licenses are counted, reclaimed and the token removed.
        using var lease = TokenLease.Acquire(_context, token);
        var managed = ManagedLicenses(id);
        // Seats VppPS gave count as licenses here: the token's removal is refused, or they are taken back, alike.
        var seats = ManagedSeats(id);
        string summary;
        if (managed.Count == 0 && seats.Count == 0)
            summary = "token removed";
        else if (policy == LicensePolicy.Refuse)
            throw new VppException(VppErrorKind.Conflict, "VppTokenHasLicenses",
                $"VppPS assigned {Describe(managed, seats)} under the token '{token.Name}'. Reclaim them first with Remove-VppToken -RevokeLicenses " +
                "(subscription seats end at once, since the token goes away), " +
                "or remove the token anyway with -Force (the licenses and seats then stay assigned at Apple and VppPS forgets them).", token.Name);
        else if (policy == LicensePolicy.Forget)
        {
            summary = $"token removed with -Force; left {Describe(managed, seats)} assigned at Apple";
            _context.Observer.Warning($"The token '{token.Name}' is removed, but {Describe(managed, seats)} that VppPS assigned stay assigned at Apple. Reclaim them in Apple Business / Apple School Manager or with another MDM if they are no longer needed.");
        }
        else
        {
            TokenService.EnsureWritable(token);
            var irrevocable = managed.Where(m => !m.Revocable).ToList();
            await ReclaimAsync(token, managed.Where(m => m.Revocable).ToList(), cancellationToken).ConfigureAwait(false);
            await ReclaimSeatsAsync(token, seats, cancellationToken).ConfigureAwait(false);
            summary = $"token removed after reclaiming {Describe(managed.Where(m => m.Revocable).ToList(), seats)}";
            if (irrevocable.Count > 0)
            {
                summary += $"; {irrevocable.Count} book license(s) cannot be reclaimed (Apple marks them irrevocable) and stay assigned";
                _context.Observer.Warning($"{irrevocable.Count} book license(s) under '{token.Name}' cannot be reclaimed: Apple marks book licenses irrevocable.");
            }
        }
        _tokens.Remove(id, summary, lease);
        return summary;
    }

    /// <summary>Reclaims through the applier, so that the requests are packed, journaled and recorded like any other.</summary>
    private async Task ReclaimAsync(VppToken token, IReadOnlyList<(string AdamId, string PricingParam, int TargetKind, string Target, bool Revocable)> licenses, CancellationToken cancellationToken)
    {
        if (licenses.Count == 0) return;
        var assetKeys = _context.Store.Read(c =>
        {
            using var command = c.Command(null, "SELECT a.adam_id, a.pricing_param, a.asset_key FROM assets a JOIN tokens t ON t.key = a.token_key WHERE t.id = $id",
                ("$id", token.Id.ToString()));
            using var reader = command.ExecuteReader();
            var keys = new Dictionary<(string, string), long>();
            while (reader.Read()) keys[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            return keys;
        });
        var changes = licenses.Select(l => new LicenseChange(assetKeys.GetValueOrDefault((l.AdamId, l.PricingParam), -1), l.AdamId, l.PricingParam, null,
            l.TargetKind, l.Target, l.Target, null, null, null, "reclaimed before removing the token")).ToList();
        var result = await _tokens.CallAsync(token, client => new AssignmentApplier(_context).ReclaimAsync(token, client, changes, cancellationToken)).ConfigureAwait(false);
        if (result.Failed > 0)
            throw new VppException(VppErrorKind.AppleError, "VppReclaimFailed",
                $"Apple could not reclaim {result.Failed} license(s) under '{token.Name}' (see Get-VppAssignmentPlan for Apple's errors). The token was kept; run Sync-VppToken and try again.", token.Name);
    }

    /// <summary>
    /// Takes the seats back at once (a deferred reclaim would leave them to a token VppPS no longer
    /// has), through the applier, so that the requests are journaled and recorded like any other.
    /// </summary>
    private async Task ReclaimSeatsAsync(VppToken token, IReadOnlyList<(string AdamId, string ClientUserId)> seats, CancellationToken cancellationToken)
    {
        if (seats.Count == 0) return;
        var changes = seats.Select(s => new SeatChange(s.AdamId, null, s.ClientUserId, s.ClientUserId, null, null, null,
            "reclaimed before removing the token", Renewing: false, Deferred: false)).ToList();
        var result = await _tokens.CallAsync(token, client => new AssignmentApplier(_context).ReclaimSeatsAsync(token, client, changes, cancellationToken)).ConfigureAwait(false);
        var left = ManagedSeats(token.Id).Count;
        if (result.Failed > 0 || left > 0)
            throw new VppException(VppErrorKind.AppleError, "VppReclaimFailed",
                $"Apple could not take back {Math.Max(result.Failed, left)} subscription seat(s) under '{token.Name}' (see Get-VppAssignmentPlan for Apple's errors). " +
                "The token was kept; run Sync-VppToken and try again.", token.Name);
    }

    private static string Describe(IReadOnlyCollection<(string AdamId, string PricingParam, int TargetKind, string Target, bool Revocable)> licenses,
        IReadOnlyCollection<(string AdamId, string ClientUserId)> seats)
    {
        var parts = new List<string>();
        if (licenses.Count > 0 || seats.Count == 0)
            parts.Add($"{licenses.Count} license(s) of {licenses.Select(l => l.AdamId).Distinct().Count()} app(s)/book(s) to " +
                $"{licenses.Where(l => l.TargetKind == 0).Select(l => l.Target).Distinct().Count()} user(s) and {licenses.Where(l => l.TargetKind == 1).Select(l => l.Target).Distinct().Count()} device(s)");
        if (seats.Count > 0)
            parts.Add($"{seats.Count} subscription seat(s) of {seats.Select(s => s.AdamId).Distinct().Count()} subscription(s) to {seats.Select(s => s.ClientUserId).Distinct().Count()} user(s)");
        return string.Join(" and ", parts);
    }
}
