namespace VppPS.Engine.Inventory;

public enum LicenseTargetType { User, Device }

/// <summary>One license Apple holds: which asset, under which token, for which user or device, and whether VppPS gave it.</summary>
public sealed record LicenseHolder
{
    public required string Token { get; init; }
    public required string AdamId { get; init; }
    public string? Name { get; init; }
    public required string PricingParam { get; init; }
    public required string ProductType { get; init; }
    public required LicenseTargetType TargetType { get; init; }
    /// <summary>The clientUserId of a user license, or the serial number of a device license.</summary>
    public required string Target { get; init; }
    public string? UserEmail { get; init; }
    public required bool AssignedByVppPS { get; init; }
    /// <summary>Why VppPS assigned it, or that it was assigned outside VppPS.</summary>
    public required string Reason { get; init; }
}
