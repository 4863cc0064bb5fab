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
    string? NotificationUrl, IReadOnlyList<string> SubscribedNotificationTypes, string VersionId,
    bool? SubscriptionManagement = null, string? SubscriptionVersionId = null);

/// <summary>A subscription with its seat counts as GET /subscriptions computes them (Assigned* by the assignments' flag, Available* by seat license state).</summary>
public sealed record SimSubscriptionSnapshot(
    long AdamId, long? ParentAdamId, string? Name, string Status, DateOnly PeriodEndDate, int BillingPeriodDays,
    int AssignedRenewing, int AssignedExpiring, int AvailableRenewing, int AvailableExpiring, int TotalRenewing, int TotalExpiring);

/// <summary>A live subscription seat assignment. SeatRenewing: the license state of the seat it uses; DeferredEventId: a deferred disassociation waiting for the period end.</summary>
public sealed record SimSubscriptionAssignmentSnapshot(long AdamId, string ClientUserId, bool Renewing, bool SeatRenewing, bool ViaGroup, string? DeferredEventId);

public sealed record SimSubscriptionAdminSnapshot(long AdamId, string ClientUserId);

/// <summary>Authenticated /mdm/v2 requests of a location so far, how many are in flight now and the most that were at once.</summary>
public sealed record SimRequestStats(long Requests, int InFlight, int MaxInFlight);

/// <summary>Responses delayed by the scenario's latency setting so far, and the sum of those delays.</summary>
public sealed record SimLatencyStats(long Responses, long TotalMilliseconds);

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
