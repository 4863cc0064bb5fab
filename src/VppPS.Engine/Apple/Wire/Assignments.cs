using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>One license held by a user (clientUserId) or a device (serialNumber).</summary>
public sealed record Assignment
{
    [JsonPropertyName("adamId")] public string AdamId { get; init; } = "";
    [JsonPropertyName("clientUserId")] public string? ClientUserId { get; init; }
    [JsonPropertyName("serialNumber")] public string? SerialNumber { get; init; }
    [JsonPropertyName("pricingParam")] public string? PricingParam { get; init; }
    /// <summary>Only with includeUserState=true.</summary>
    [JsonPropertyName("idHash")] public string? IdHash { get; init; }
    /// <summary>Registered, Associated, Retired or Deleted; only with includeUserState=true.</summary>
    [JsonPropertyName("userStatus")] public string? UserStatus { get; init; }
}

/// <summary>GET assignments answer, one page.</summary>
public sealed record GetAssignmentsResponse : AppleResponse, IApplePage<Assignment>
{
    [JsonPropertyName("assignments")] public IReadOnlyList<Assignment>? Assignments { get; init; }
    [JsonPropertyName("currentPageIndex")] public int CurrentPageIndex { get; init; }
    [JsonPropertyName("nextPageIndex")] public int? NextPageIndex { get; init; }
    [JsonPropertyName("size")] public int Size { get; init; }
    [JsonPropertyName("totalPages")] public int TotalPages { get; init; }
    [JsonPropertyName("versionId")] public string? VersionId { get; init; }

    [JsonIgnore] public IReadOnlyList<Assignment> Items => Assignments ?? [];
}

/// <summary>GET assignments filters; null means "not sent".</summary>
public sealed record AssignmentQuery
{
    public string? AdamId { get; init; }
    public string? ClientUserId { get; init; }
    public string? SerialNumber { get; init; }
    public string? PricingParam { get; init; }
    /// <summary>Only changes since this versionId (the first page's versionId of an earlier read).</summary>
    public string? SinceVersionId { get; init; }
    public bool? ExcludeInactiveUsers { get; init; }
    public bool? IncludeUserState { get; init; }

    internal QueryString ToQuery() => new QueryString()
        .Add("adamId", AdamId).Add("clientUserId", ClientUserId).Add("serialNumber", SerialNumber)
        .Add("pricingParam", PricingParam).Add("sinceVersionId", SinceVersionId)
        .Add("excludeInactiveUsers", ExcludeInactiveUsers).Add("includeUserState", IncludeUserState);
}
