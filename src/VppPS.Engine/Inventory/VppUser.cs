namespace VppPS.Engine.Inventory;

/// <summary>A VPP user of a location: Registered (invited), Associated, Retired; only those VppPS created are managed.</summary>
public sealed record VppUser
{
    public required string Token { get; init; }
    public required string ClientUserId { get; init; }
    public string? Email { get; init; }
    public required string Status { get; init; }
    public string? InviteCode { get; init; }
    /// <summary>Apple's invitation page for a Registered user, to send by mail.</summary>
    public string? InvitationUrl { get; init; }
    public string? IdHash { get; init; }
    public required bool ManagedByVppPS { get; init; }
    public required long LicenseCount { get; init; }
}
