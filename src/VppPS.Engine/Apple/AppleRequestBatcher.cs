using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>
/// Splits large writes into requests within service/config's limits. Duplicates are removed
/// first (Apple refuses them with 9703-9705, 9715). Users and devices never share a request:
/// Apple's examples allow it, but one kind per request is harmless and avoids the doubt.
/// </summary>
public static class AppleRequestBatcher
{
    /// <summary>Associate/disassociate requests covering every (asset, target) pair.</summary>
    public static IReadOnlyList<ManageAssetsRequest> PackManageAssets(
        IEnumerable<RequestAsset> assets,
        IEnumerable<string>? clientUserIds,
        IEnumerable<string>? serialNumbers,
        AppleLimits limits)
    {
        var assetChunks = assets
            .DistinctBy(a => (a.AdamId, Pricing: a.PricingParam ?? "STDQ"))
            .Chunk(limits.MaxAssets)
            .ToList();
        var requests = new List<ManageAssetsRequest>();
        foreach (var users in Distinct(clientUserIds).Chunk(limits.MaxClientUserIds))
            requests.AddRange(assetChunks.Select(chunk => new ManageAssetsRequest { Assets = chunk, ClientUserIds = users }));
        foreach (var serials in Distinct(serialNumbers).Chunk(limits.MaxSerialNumbers))
            requests.AddRange(assetChunks.Select(chunk => new ManageAssetsRequest { Assets = chunk, SerialNumbers = serials }));
        return requests;
    }

    /// <summary>Revoke requests within maxRevokeClientUserIds and maxRevokeSerialNumbers.</summary>
    public static IReadOnlyList<RevokeAssetsRequest> PackRevoke(
        IEnumerable<string>? clientUserIds,
        IEnumerable<string>? serialNumbers,
        AppleLimits limits)
    {
        var requests = new List<RevokeAssetsRequest>();
        requests.AddRange(Distinct(clientUserIds).Chunk(limits.MaxRevokeClientUserIds).Select(users => new RevokeAssetsRequest { ClientUserIds = users }));
        requests.AddRange(Distinct(serialNumbers).Chunk(limits.MaxRevokeSerialNumbers).Select(serials => new RevokeAssetsRequest { SerialNumbers = serials }));
        return requests;
    }

    /// <summary>Create/update/retire requests within maxUsers; the last entry of a clientUserId wins.</summary>
    public static IReadOnlyList<ManageUsersRequest> PackUsers(IEnumerable<RequestUser> users, AppleLimits limits) =>
        users
            .GroupBy(u => u.ClientUserId, StringComparer.Ordinal)
            .Select(g => g.Last())
            .Chunk(limits.MaxUsers)
            .Select(chunk => new ManageUsersRequest { Users = chunk })
            .ToList();

    private static IEnumerable<string> Distinct(IEnumerable<string>? values) =>
        (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Distinct(StringComparer.Ordinal);
}
