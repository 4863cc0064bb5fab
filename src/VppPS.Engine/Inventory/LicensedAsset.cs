namespace VppPS.Engine.Inventory;

/// <summary>An app or book bought under a token (or, with -Summary, under all tokens), with its license counts.</summary>
public sealed record LicensedAsset
{
    /// <summary>Apple marks free (unlimited) assets with this total count.</summary>
    public const int UnlimitedCount = int.MaxValue;

    public string? Name { get; init; }
    public required string AdamId { get; init; }
    public string? BundleId { get; init; }
    /// <summary>The token's name; with -Summary, the tokens' names joined.</summary>
    public required string Token { get; init; }
    public Guid? TokenId { get; init; }
    public required string PricingParam { get; init; }
    public required string ProductType { get; init; }
    public required long TotalCount { get; init; }
    public required long AssignedCount { get; init; }
    public required long AvailableCount { get; init; }
    public required long RetiredCount { get; init; }
    public required bool DeviceAssignable { get; init; }
    public required bool Revocable { get; init; }
    public required string[] SupportedPlatforms { get; init; }
    public string? Version { get; init; }
    public string? IconUrl { get; init; }
    public int TokenCount { get; init; } = 1;

    public bool Unlimited => TotalCount >= UnlimitedCount;

    /// <summary>How it can be licensed: to users and devices, or to users only (books, some apps).</summary>
    public string LicensingType => DeviceAssignable ? "UserOrDevice" : "User";

    public override string ToString() => Name ?? AdamId;
}
