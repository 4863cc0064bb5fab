using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>A VPP user as Apple lists it (ResponseUser).</summary>
public sealed record ResponseUser
{
    [JsonPropertyName("clientUserId")] public string ClientUserId { get; init; } = "";
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("idHash")] public string? IdHash { get; init; }
    [JsonPropertyName("inviteCode")] public string? InviteCode { get; init; }
    /// <summary>Registered, Associated, Retired or Deleted.</summary>
    [JsonPropertyName("status")] public string? Status { get; init; }
}

/// <summary>GET users answer, one page.</summary>
public sealed record GetUsersResponse : AppleResponse, IApplePage<ResponseUser>
{
    [JsonPropertyName("users")] public IReadOnlyList<ResponseUser>? Users { get; init; }
    [JsonPropertyName("currentPageIndex")] public int CurrentPageIndex { get; init; }
    [JsonPropertyName("nextPageIndex")] public int? NextPageIndex { get; init; }
    [JsonPropertyName("size")] public int Size { get; init; }
    [JsonPropertyName("totalPages")] public int TotalPages { get; init; }
    [JsonPropertyName("versionId")] public string? VersionId { get; init; }

    [JsonIgnore] public IReadOnlyList<ResponseUser> Items => Users ?? [];
}

/// <summary>GET users filters; null means "not sent".</summary>
public sealed record UserQuery
{
    public bool? ActiveOnly { get; init; }
    public bool? RetiredOnly { get; init; }
    public string? ClientUserId { get; init; }
    /// <summary>Only changes since this versionId (the first page's versionId of an earlier read).</summary>
    public string? SinceVersionId { get; init; }

    internal QueryString ToQuery() => new QueryString()
        .Add("activeOnly", ActiveOnly).Add("retiredOnly", RetiredOnly)
        .Add("clientUserId", ClientUserId).Add("sinceVersionId", SinceVersionId);
}

/// <summary>A user in a create, update or retire request (RequestUser).</summary>
public sealed record RequestUser
{
    [JsonPropertyName("clientUserId")] public required string ClientUserId { get; init; }

    [JsonPropertyName("email"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Email { get; init; }

    [JsonPropertyName("managedAppleId"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ManagedAppleId { get; init; }
}

/// <summary>POST users/create, users/update, users/retire body.</summary>
public sealed record ManageUsersRequest
{
    [JsonPropertyName("users")] public required IReadOnlyList<RequestUser> Users { get; init; }
}
