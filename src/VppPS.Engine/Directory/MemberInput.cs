namespace VppPS.Engine.Directories;

/// <summary>
/// One would-be member as a caller (a pipeline object, a CSV row) describes it. Which fields
/// count depends on the group: in a User group <see cref="UserPrincipalName"/> is the user; in a
/// Device group <see cref="SerialNumber"/> is the device and <see cref="UserPrincipalName"/> (when
/// <see cref="Owner"/> is empty) its owner, as on a Microsoft Graph managed device.
/// </summary>
public sealed record MemberInput
{
    public string? UserPrincipalName { get; init; }
    /// <summary>The source's id of a user (Microsoft Graph's Id); ignored for devices.</summary>
    public string? Id { get; init; }
    public string? Mail { get; init; }
    public string? ManagedAppleId { get; init; }
    public string? DisplayName { get; init; }
    public string? SerialNumber { get; init; }
    public string? DeviceName { get; init; }
    public string? Owner { get; init; }
    public string? Platform { get; init; }

    /// <summary>The key of the member in a group of <paramref name="kind"/>: a UPN or an upper-case serial number.</summary>
    public string Key(DirectoryKind kind) => kind == DirectoryKind.User ? Clean(UserPrincipalName)! : DirectoryValues.NormalizeSerial(SerialNumber!);

    /// <summary>Why this cannot be a member of a group of <paramref name="kind"/>; null when it can.</summary>
    public VppException? Problem(DirectoryKind kind, string group)
    {
        if (DirectoryValues.CheckMemberNames(this) is { } badName) return badName;
        var upn = Clean(UserPrincipalName);
        var serial = Clean(SerialNumber);
        if (kind == DirectoryKind.User)
        {
            if (serial is not null)
                return new VppException(VppErrorKind.InvalidArgument, "VppGroupKindMismatch",
                    $"'{serial}' is a device (it has a serial number) and '{group}' is a User group. Add devices to a Device group (New-VppGroup -Kind Device), or pass users.", serial);
            if (upn is null)
                return new VppException(VppErrorKind.InvalidArgument, "VppMemberKeyMissing",
                    $"A member of the User group '{group}' needs a UserPrincipalName (pass -UserPrincipalName, or pipe objects that have a UserPrincipalName property).", group);
            return DirectoryValues.CheckUpn(upn);
        }
        if (serial is null)
            return upn is not null
                ? new VppException(VppErrorKind.InvalidArgument, "VppGroupKindMismatch",
                    $"'{upn}' is a user (it has no serial number) and '{group}' is a Device group. Add users to a User group (New-VppGroup -Kind User), or pass devices with a SerialNumber.", upn)
                : new VppException(VppErrorKind.InvalidArgument, "VppMemberKeyMissing",
                    $"A member of the Device group '{group}' needs a SerialNumber (pass -SerialNumber, or pipe objects that have a SerialNumber property).", group);
        return DirectoryValues.CheckSerial(serial) ?? (upn is not null ? DirectoryValues.CheckOwner(upn) : null);
    }

    internal static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
