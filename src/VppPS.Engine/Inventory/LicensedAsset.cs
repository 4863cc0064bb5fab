namespace VppPS.Engine.Inventory;

/// <summary>An app or book bought under a token (or, with -Summary, under all tokens), with its license counts.</summary>
public sealed record LicensedAsset
{
    public string? Name { get; init; }
    public required string AdamId { get; init; }
    public string? BundleId { get; init; }
    /// <summary>The token's name; with -Summary, the tokens' names joined.</summary>
    public required string Token { get; init; }
    public Guid? TokenId { get; init; }
    public required string PricingParam { get; init; }
    public required string ProductType { get; init; }
    /// <summary>Licenses owned; null for a free app or book, which has no limit (<see cref="Unlimited"/>).</summary>
    public required long? TotalCount { get; init; }
    public required long AssignedCount { get; init; }
    /// <summary>Licenses still to hand out; null for a free app or book (<see cref="Unlimited"/>).</summary>
    public required long? AvailableCount { get; init; }
    public required long RetiredCount { get; init; }
    public required bool DeviceAssignable { get; init; }
    public required bool Revocable { get; init; }
    public required string[] SupportedPlatforms { get; init; }
    public string? Version { get; init; }
    public string? IconUrl { get; init; }
    public int TokenCount { get; init; } = 1;

    /// <summary>A free app or book: as many licenses as wanted (Apple's unlimited assets).</summary>
    public bool Unlimited { get; init; }

    /// <summary>How it can be licensed: to users and devices, or to users only (books, some apps).</summary>
    public string LicensingType => DeviceAssignable ? "UserOrDevice" : "User";

    public override string ToString() => Name ?? AdamId;
}
