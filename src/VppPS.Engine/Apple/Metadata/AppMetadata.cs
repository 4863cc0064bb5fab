namespace VppPS.Engine.Apple.Metadata;

/// <summary>What the engine keeps about a product, from either metadata source.</summary>
/// <param name="Platforms">Apple's deviceFamilies (iphone, ipad, mac, tvos...).</param>
/// <param name="DeviceAssignable">isVppDeviceBasedLicensingEnabled: the app supports device licensing; a hint, the assets list is authoritative.</param>
/// <param name="ProductType">"App" or "Book" when the source tells; null otherwise.</param>
public sealed record AppMetadata(
    string AdamId,
    string? Name,
    string? BundleId,
    string? ArtistName,
    string? Version,
    string? IconUrl,
    IReadOnlyList<string> Platforms,
    bool IsB2BCustomApp,
    bool? DeviceAssignable,
    string? ProductType);
