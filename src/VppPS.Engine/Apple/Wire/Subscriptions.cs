using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>POST subscriptions/enable and subscriptions/disable answer: the declaration Apple recorded for the token.</summary>
public sealed record SubscriptionManagementResponse : AppleResponse
{
    [JsonPropertyName("subscriptionManagement")] public bool? SubscriptionManagement { get; init; }
}

/// <summary>Seats of one renewal state pair (SubscriptionCountsBreakdown).</summary>
public sealed record SeatCounts
{
    [JsonPropertyName("renewing")] public int Renewing { get; init; }
    [JsonPropertyName("expiring")] public int Expiring { get; init; }
}

/// <summary>A subscription's seats: assigned (by the assignment's renewal state), available and owned (by license state).</summary>
public sealed record SubscriptionSeatCounts
{
    [JsonPropertyName("assigned")] public SeatCounts? Assigned { get; init; }
    [JsonPropertyName("available")] public SeatCounts? Available { get; init; }
    [JsonPropertyName("total")] public SeatCounts? Total { get; init; }
}

/// <summary>One subscription product the organizational unit owns seats of (ResponseSubscription).</summary>
public sealed record ResponseSubscription
{
    [JsonPropertyName("adamId"), JsonConverter(typeof(AppleIdConverter))] public string? AdamId { get; init; }
    /// <summary>The app the subscription belongs to; Apple says it can be null.</summary>
    [JsonPropertyName("parentAdamId"), JsonConverter(typeof(AppleIdConverter))] public string? ParentAdamId { get; init; }
    /// <summary>ACTIVE, INACTIVE or PAUSED; absent in Apple's older example.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
    /// <summary>End of the current billing period, YYYY-MM-DD; absent in Apple's older example.</summary>
    [JsonPropertyName("periodEndDate")] public string? PeriodEndDate { get; init; }
    [JsonPropertyName("counts")] public SubscriptionSeatCounts? Counts { get; init; }
}

/// <summary>A user holding a seat of a subscription (ResponseSubscriptionAssignment).</summary>
public sealed record SubscriptionAssignment
{
    [JsonPropertyName("adamId"), JsonConverter(typeof(AppleIdConverter))] public string? AdamId { get; init; }
    [JsonPropertyName("clientUserId")] public string? ClientUserId { get; init; }
    /// <summary>true: the seat renews at the period end; false: it ends then.</summary>
    [JsonPropertyName("renewing")] public bool Renewing { get; init; }
}

/// <summary>GET subscriptions answer, one cursor page.</summary>
public sealed record GetSubscriptionsResponse : AppleResponse, ICursorPage<ResponseSubscription>
{
    [JsonPropertyName("subscriptions")] public IReadOnlyList<ResponseSubscription>? Subscriptions { get; init; }
    [JsonPropertyName("nextCursor")] public string? NextCursor { get; init; }
    [JsonPropertyName("versionId")] public string? VersionId { get; init; }

    [JsonIgnore] public IReadOnlyList<ResponseSubscription> Items => Subscriptions ?? [];
}

/// <summary>GET subscriptions/assignments answer, one cursor page.</summary>
public sealed record GetSubscriptionAssignmentsResponse : AppleResponse, ICursorPage<SubscriptionAssignment>
{
    [JsonPropertyName("assignments")] public IReadOnlyList<SubscriptionAssignment>? Assignments { get; init; }
    [JsonPropertyName("nextCursor")] public string? NextCursor { get; init; }
    [JsonPropertyName("versionId")] public string? VersionId { get; init; }

    [JsonIgnore] public IReadOnlyList<SubscriptionAssignment> Items => Assignments ?? [];
}

/// <summary>Filters of the subscription reads; each list is sent as a repeated parameter (any value matches). Null or empty: not sent.</summary>
public sealed record SubscriptionQuery
{
    public IReadOnlyList<string>? ParentAdamIds { get; init; }
    public IReadOnlyList<string>? AdamIds { get; init; }
    /// <summary>GET subscriptions/assignments only.</summary>
    public IReadOnlyList<string>? ClientUserIds { get; init; }

    internal QueryString ToQuery()
    {
        var query = new QueryString();
        foreach (var id in ParentAdamIds ?? []) query.Add("parentAdamId", id);
        foreach (var id in AdamIds ?? []) query.Add("adamId", id);
        foreach (var id in ClientUserIds ?? []) query.Add("clientUserId", id);
        return query;
    }
}

/// <summary>
/// POST subscriptions/associate and subscriptions/disassociate body (ManageSubscriptionsRequest):
/// users only (a serialNumbers field is refused with 9811), adamIds as JSON integers.
/// </summary>
public sealed record ManageSubscriptionsRequest
{
    [JsonPropertyName("adamIds")] public required IReadOnlyList<long> AdamIds { get; init; }
    [JsonPropertyName("clientUserIds")] public required IReadOnlyList<string> ClientUserIds { get; init; }
    /// <summary>Associations: true takes renewing seats, false seats that lapse at the period end. Sent on every association.</summary>
    [JsonPropertyName("renewing"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? Renewing { get; init; }
    /// <summary>Disassociations: true keeps the seat until the period end; false or absent takes it back at once.</summary>
    [JsonPropertyName("deferred"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? Deferred { get; init; }
}
