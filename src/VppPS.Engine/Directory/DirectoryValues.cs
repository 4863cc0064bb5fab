namespace VppPS.Engine.Directories;

/// <summary>Checks and normal forms of directory keys.</summary>
internal static class DirectoryValues
{
    public static string NormalizeSerial(string serial) => serial.Trim().ToUpperInvariant();

    public static VppException? CheckUpn(string upn) =>
        upn.Length > 256 || upn.Any(char.IsWhiteSpace) || upn.IndexOf('@') <= 0 || upn.EndsWith('@')
            ? new VppException(VppErrorKind.InvalidArgument, "VppUserPrincipalNameInvalid",
                $"'{upn}' is not a user principal name: it must look like name@domain, without spaces.", upn)
            : null;

    public static VppException? CheckSerial(string serial) =>
        serial.Length > 64 || !serial.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            ? new VppException(VppErrorKind.InvalidArgument, "VppSerialNumberInvalid",
                $"'{serial}' is not a serial number: use letters, digits and '-' only (at most 64).", serial)
            : null;

    public static VppException? CheckGroupName(string name) =>
        NameRules.Check(name, "group name", "VppGroupNameInvalid") ??
        (string.IsNullOrWhiteSpace(name) || name.Contains(';') || name != name.Trim()
            ? new VppException(VppErrorKind.InvalidArgument, "VppGroupNameInvalid",
                $"'{name}' cannot be a group name: use 1 to {NameRules.MaxLength} characters, no ';' (it separates groups in Import-VppDirectory files) and no spaces at either end.", name)
            : null);

    /// <summary>The free-text names a member comes with: a person's display name, a device's name.</summary>
    public static VppException? CheckMemberNames(MemberInput input) =>
        (MemberInput.Clean(input.DisplayName) is { } display ? NameRules.Check(display, "display name", "VppDisplayNameInvalid") : null) ??
        (MemberInput.Clean(input.DeviceName) is { } device ? NameRules.Check(device, "device name", "VppDeviceNameInvalid") : null);
}
