using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>An asset as sent in requests and error details: adamId plus STDQ or PLUS (absent means STDQ).</summary>
public sealed record RequestAsset
{
    [JsonPropertyName("adamId")] public required string AdamId { get; init; }

    [JsonPropertyName("pricingParam"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PricingParam { get; init; }
}

/// <summary>One licensed product with its counts (ResponseAsset).</summary>
public sealed record ResponseAsset
{
    /// <summary>
    /// The one "unlimited" count: Apple gives a free (unlimited) asset this totalCount when
    /// unlimited is not asked for, and VppPS stores a free asset's total with it. Never shown:
    /// the inventory turns it into Unlimited and null counts.
    /// </summary>
    public const int UnlimitedCount = int.MaxValue;

    /// <summary>A free app or book, with no license count.</summary>
    [JsonIgnore] public bool IsUnlimited => TotalCount >= UnlimitedCount;

    /// <summary>A free asset read with unlimited=true, with the counts VppPS stores for it (assigned only; the rest unlimited).</summary>
    public static ResponseAsset FromUnlimited(UnlimitedResponseAsset asset) => new()
    {
        AdamId = asset.AdamId,
        AssignedCount = asset.AssignedCount,
        AvailableCount = UnlimitedCount - asset.AssignedCount,
        DeviceAssignable = asset.DeviceAssignable,
        PricingParam = asset.PricingParam,
        ProductType = asset.ProductType,
        RetiredCount = 0,
        Revocable = asset.Revocable,
        TotalCount = UnlimitedCount,
        SupportedPlatforms = asset.SupportedPlatforms,
    };

    [JsonPropertyName("adamId")] public string AdamId { get; init; } = "";
    [JsonPropertyName("assignedCount")] public int AssignedCount { get; init; }
    [JsonPropertyName("availableCount")] public int AvailableCount { get; init; }
    [JsonPropertyName("deviceAssignable")] public bool DeviceAssignable { get; init; }
    [JsonPropertyName("pricingParam")] public string? PricingParam { get; init; }
    [JsonPropertyName("productType")] public string? ProductType { get; init; }
    [JsonPropertyName("retiredCount")] public int RetiredCount { get; init; }
    [JsonPropertyName("revocable")] public bool Revocable { get; init; }
    [JsonPropertyName("totalCount")] public int TotalCount { get; init; }
    [JsonPropertyName("supportedPlatforms")] public IReadOnlyList<string>? SupportedPlatforms { get; init; }
}

/// <summary>A free product with no license count (UnlimitedResponseAsset), listed when unlimited=true.</summary>
public sealed record UnlimitedResponseAsset
{
    [JsonPropertyName("adamId")] public string AdamId { get; init; } = "";
    [JsonPropertyName("assignedCount")] public int AssignedCount { get; init; }
    [JsonPropertyName("deviceAssignable")] public bool DeviceAssignable { get; init; }
    [JsonPropertyName("pricingParam")] public string? PricingParam { get; init; }
    [JsonPropertyName("productType")] public string? ProductType { get; init; }
    [JsonPropertyName("revocable")] public bool Revocable { get; init; }
    [JsonPropertyName("supportedPlatforms")] public IReadOnlyList<string>? SupportedPlatforms { get; init; }
}

/// <summary>GET assets answer, one page.</summary>
public sealed record GetAssetsResponse : AppleResponse, IApplePage<ResponseAsset>
{
    [JsonPropertyName("assets")] public IReadOnlyList<ResponseAsset>? Assets { get; init; }
    [JsonPropertyName("unlimitedAssets")] public IReadOnlyList<UnlimitedResponseAsset>? UnlimitedAssets { get; init; }
    [JsonPropertyName("currentPageIndex")] public int CurrentPageIndex { get; init; }
    [JsonPropertyName("nextPageIndex")] public int? NextPageIndex { get; init; }
    [JsonPropertyName("size")] public int Size { get; init; }
    [JsonPropertyName("totalPages")] public int TotalPages { get; init; }
    [JsonPropertyName("versionId")] public string? VersionId { get; init; }

    [JsonIgnore] public IReadOnlyList<ResponseAsset> Items => Assets ?? [];
}

/// <summary>GET assets filters; null means "not sent". pageIndex is set by the client.</summary>
public sealed record AssetQuery
{
    /// <summary>App or Book.</summary>
    public string? ProductType { get; init; }
    /// <summary>STDQ or PLUS.</summary>
    public string? PricingParam { get; init; }
    public bool? Revocable { get; init; }
    public bool? DeviceAssignable { get; init; }
    public int? MaxAvailableCount { get; init; }
    public int? MinAvailableCount { get; init; }
    public int? MaxAssignedCount { get; init; }
    public int? MinAssignedCount { get; init; }
    public string? AdamId { get; init; }
    /// <summary>true: free products in unlimitedAssets; false: excluded; null: in assets with totalCount int.MaxValue.</summary>
    public bool? Unlimited { get; init; }

    internal QueryString ToQuery() => new QueryString()
        .Add("productType", ProductType).Add("pricingParam", PricingParam)
        .Add("revocable", Revocable).Add("deviceAssignable", DeviceAssignable)
        .Add("maxAvailableCount", MaxAvailableCount).Add("minAvailableCount", MinAvailableCount)
        .Add("maxAssignedCount", MaxAssignedCount).Add("minAssignedCount", MinAssignedCount)
        .Add("adamId", AdamId).Add("unlimited", Unlimited);
}
