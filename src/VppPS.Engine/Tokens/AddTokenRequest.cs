namespace VppPS.Engine.Tokens;

/// <summary>What Add-VppToken was given.</summary>
public sealed record AddTokenRequest(
    ContentTokenFile File,
    string AppleId,
    VppTokenAccountType AccountType,
    string? Name = null,
    string? CountryOrRegion = null,
    bool AutomaticallyUpdateApps = false,
    bool ClaimFromExternalMdm = false);

/// <summary>What Set-VppToken changes; null leaves a setting as it is.</summary>
public sealed record TokenSettingsChange(
    string? Name = null,
    string? AppleId = null,
    string? CountryOrRegion = null,
    bool? AutomaticallyUpdateApps = null,
    bool ClaimFromExternalMdm = false);
