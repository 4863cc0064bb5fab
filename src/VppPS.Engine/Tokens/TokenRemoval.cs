using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tokens;

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

/// <summary>Removes tokens without silently leaving licenses VppPS handed out behind at Apple.</summary>
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
            _context.Observer.Warning($"The token '{token.Name}' is removed, but {Describe(managed)} that VppPS assigned stay assigned at Apple. Reclaim them in Apple Business/School Manager or with another MDM if they are no longer needed.");
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
        _tokens.Remove(id, summary);
        return summary;
    }

    private async Task ReclaimAsync(VppToken token, IReadOnlyList<(string AdamId, string PricingParam, int TargetKind, string Target, bool Revocable)> licenses, CancellationToken cancellationToken)
    {
        if (licenses.Count == 0) return;
        await _tokens.CallAsync(token, async client =>
        {
            var limits = await client.GetLimitsAsync(cancellationToken).ConfigureAwait(false);
            var requests = licenses.GroupBy(l => (l.AdamId, l.PricingParam)).SelectMany(asset =>
                AppleRequestBatcher.PackManageAssets(
                    [new RequestAsset { AdamId = asset.Key.AdamId, PricingParam = asset.Key.PricingParam }],
                    asset.Where(l => l.TargetKind == 0).Select(l => l.Target).ToList(),
                    asset.Where(l => l.TargetKind == 1).Select(l => l.Target).ToList(),
                    limits)).ToList();
            var done = 0;
            foreach (var request in requests)
            {
                _context.Observer.Progress(4300, $"Reclaiming licenses under {token.Name}", $"request {done + 1} of {requests.Count}", done * 100 / requests.Count);
                var status = await client.SubmitAndWaitAsync(ct => client.DisassociateAssetsAsync(request, ct), cancellationToken).ConfigureAwait(false);
                if (status.Failures is { Count: > 0 } failures)
                    throw new VppException(VppErrorKind.AppleError, "VppReclaimFailed",
                        $"Apple could not reclaim every license under '{token.Name}' ({string.Join("; ", failures.Select(f => $"{f.ErrorNumber} {f.ErrorMessage}"))}). The token was kept; run Sync-VppToken and try again.", token.Name);
                ForgetManaged(token.Id, request);
                done++;
            }
            _context.Observer.Progress(4300, $"Reclaiming licenses under {token.Name}", "done", 100, completed: true);
            return true;
        }).ConfigureAwait(false);
    }

    private void ForgetManaged(Guid tokenId, ManageAssetsRequest request) => _context.Store.Write((c, t) =>
    {
        foreach (var asset in request.Assets)
            foreach (var (kind, targets) in new[] { (0, request.ClientUserIds), (1, request.SerialNumbers) })
                foreach (var target in targets ?? [])
                {
                    var key = new (string, object?)[] { ("$t", tokenId.ToString()), ("$a", asset.AdamId), ("$p", asset.PricingParam ?? "STDQ"), ("$k", kind), ("$x", target) };
                    c.Execute(t, "DELETE FROM managed_licenses WHERE token_key = (SELECT key FROM tokens WHERE id=$t) AND adam_id=$a AND pricing_param=$p AND target_kind=$k AND target=$x", key);
                    c.Execute(t, "DELETE FROM licenses WHERE asset_key = (SELECT a.asset_key FROM assets a JOIN tokens k ON k.key = a.token_key WHERE k.id=$t AND a.adam_id=$a AND a.pricing_param=$p) AND target_kind=$k AND target=$x", key);
                }
    });

    private static string Describe(IReadOnlyCollection<(string AdamId, string PricingParam, int TargetKind, string Target, bool Revocable)> licenses) =>
        $"{licenses.Count} license(s) of {licenses.Select(l => l.AdamId).Distinct().Count()} app(s)/book(s) to " +
        $"{licenses.Where(l => l.TargetKind == 0).Select(l => l.Target).Distinct().Count()} user(s) and {licenses.Where(l => l.TargetKind == 1).Select(l => l.Target).Distinct().Count()} device(s)";
}
