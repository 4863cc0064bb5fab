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

    /// <summary>Removes the token; returns what was done, in a sentence for the user.</summary>
    public async Task<string> RemoveAsync(Guid id, LicensePolicy policy, CancellationToken cancellationToken)
    {
        var token = _tokens.Get(id);
        // Under the token's lease: no sync or plan of the token runs while its licenses are counted, reclaimed and the token removed.
        using var lease = TokenLease.Acquire(_context, token);
        var managed = ManagedLicenses(id);
        string summary;
        if (managed.Count == 0)
            summary = "token removed";
        else if (policy == LicensePolicy.Refuse)
            throw new VppException(VppErrorKind.Conflict, "VppTokenHasLicenses",
                $"VppPS assigned {Describe(managed)} under the token '{token.Name}'. Reclaim them first with Remove-VppToken -RevokeLicenses, " +
                "or remove the token anyway with -Force (the licenses then stay assigned at Apple and VppPS forgets them).", token.Name);
        else if (policy == LicensePolicy.Forget)
        {
            summary = $"token removed with -Force; left {Describe(managed)} assigned at Apple";
            _context.Observer.Warning($"The token '{token.Name}' is removed, but {Describe(managed)} that VppPS assigned stay assigned at Apple. Reclaim them in Apple Business / Apple School Manager or with another MDM if they are no longer needed.");
        }
        else
        {
            TokenService.EnsureWritable(token);
            var irrevocable = managed.Where(m => !m.Revocable).ToList();
            await ReclaimAsync(token, managed.Where(m => m.Revocable).ToList(), cancellationToken).ConfigureAwait(false);
            summary = $"token removed after reclaiming {Describe(managed.Where(m => m.Revocable).ToList())}";
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

    private static string Describe(IReadOnlyCollection<(string AdamId, string PricingParam, int TargetKind, string Target, bool Revocable)> licenses) =>
        $"{licenses.Count} license(s) of {licenses.Select(l => l.AdamId).Distinct().Count()} app(s)/book(s) to " +
        $"{licenses.Where(l => l.TargetKind == 0).Select(l => l.Target).Distinct().Count()} user(s) and {licenses.Where(l => l.TargetKind == 1).Select(l => l.Target).Distinct().Count()} device(s)";
}
