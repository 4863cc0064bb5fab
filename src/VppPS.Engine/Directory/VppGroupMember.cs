namespace VppPS.Engine.Directories;

/// <summary>
/// A member of a group: a user (UserPrincipalName, Mail, ManagedAppleId) in a User group, a device
/// (SerialNumber, DeviceName, Owner, Platform) in a Device group. Pipes into Add-VppGroupMember and
/// Remove-VppGroupMember of another group by property name.
/// </summary>
public sealed class VppGroupMember
{
    public required string Group { get; init; }
    public required DirectoryKind Kind { get; init; }
    public string? UserPrincipalName { get; init; }
    public string? Mail { get; init; }
    public string? ManagedAppleId { get; init; }
    public string? DisplayName { get; init; }
    /// <summary>The VppPS id of a user member (the same as Get-VppDirectoryUser's UserId).</summary>
    public string? UserId { get; init; }
    public string? SerialNumber { get; init; }
    public string? DeviceName { get; init; }
    public string? Owner { get; init; }
    public string? Platform { get; init; }

    public override string ToString() => Kind == DirectoryKind.User ? UserPrincipalName ?? "" : SerialNumber ?? "";
}
