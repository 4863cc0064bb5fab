namespace VppPS.Simulator;

public sealed record SimAssetSnapshot(
    string AdamId, string PricingParam, string ProductType, string Name, string? BundleId,
    long TotalCount, int AssignedCount, long AvailableCount, int RetiredCount,
    bool DeviceAssignable, bool Revocable, bool Unlimited, bool IsB2BCustomApp,
    IReadOnlyList<string> SupportedPlatforms);

public sealed record SimAssignmentSnapshot(string AdamId, string PricingParam, string? ClientUserId, string? SerialNumber);

public sealed record SimUserSnapshot(string ClientUserId, string? Email, string Status, string? IdHash, string? InviteCode);

public sealed record SimLocationInfo(
    string LocationName, string OrgName, string UId, string SToken, string? TokenFilePath,
    DateTimeOffset TokenExpiresAt, bool Revoked, string? MdmId, string? MdmName, string? MdmMetadata,
    string? NotificationUrl, IReadOnlyList<string> SubscribedNotificationTypes, string VersionId);

/// <summary>A .vpptoken the simulator wrote (Path null when no token directory was given).</summary>
public sealed record SimTokenFile(string LocationName, string UId, string? Path, string SToken);

/// <summary>One notification the simulator tried to deliver.</summary>
public sealed class SimNotificationRecord
{
    public string LocationUId { get; init; } = "";
    public string NotificationType { get; init; } = "";
    public string NotificationId { get; init; } = "";
    public string Url { get; init; } = "";
    public string Body { get; init; } = "";
    public int Attempts { get; internal set; }
    public bool Delivered { get; internal set; }
    public int? LastStatus { get; internal set; }
}
