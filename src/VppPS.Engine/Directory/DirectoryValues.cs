namespace VppPS.Engine.Directories;

/// <summary>Checks and normal forms of directory keys.</summary>
internal static class DirectoryValues
{
    public static string NormalizeSerial(string serial) => serial.Trim().ToUpperInvariant();

    public static VppException? CheckUpn(string upn) =>
        CheckHidden(upn, "user principal name", "VppUserPrincipalNameInvalid") ??
        (upn.Length > 256 || upn.Any(char.IsWhiteSpace) || upn.IndexOf('@') <= 0 || upn.EndsWith('@')
            ? new VppException(VppErrorKind.InvalidArgument, "VppUserPrincipalNameInvalid",
                $"'{NameRules.Printable(upn)}' is not a user principal name: it must look like name@domain, without spaces (at most 256 characters).", NameRules.Printable(upn))
            : null);

    public static VppException? CheckSerial(string serial) =>
        CheckHidden(serial, "serial number", "VppSerialNumberInvalid") ??
        (serial.Length > 64 || !serial.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            ? new VppException(VppErrorKind.InvalidArgument, "VppSerialNumberInvalid",
                $"'{NameRules.Printable(serial)}' is not a serial number: use letters, digits and '-' only (at most 64).", NameRules.Printable(serial))
            : null);

    /// <summary>An e-mail address (a user's mail, a Managed Apple Account): no hidden characters, no spaces, at most 256 characters.</summary>
    public static VppException? CheckMail(string mail, string what, string errorId) =>
        CheckHidden(mail, what, errorId) ??
        (mail.Length > 256 || mail.Any(char.IsWhiteSpace)
            ? new VppException(VppErrorKind.InvalidArgument, errorId,
                $"'{NameRules.Printable(mail)}' is not a valid {what}: write it without spaces (at most 256 characters).", NameRules.Printable(mail))
            : null);

    /// <summary>A device's owner (its Owner, or the UserPrincipalName of a device row): no hidden characters.</summary>
    public static VppException? CheckOwner(string owner) => CheckHidden(owner, "device owner", "VppOwnerInvalid");

    /// <summary>The refusal of a key or address that is empty or holds control, format or separator characters (<see cref="NameRules"/>'s rule, with no exception for joiners).</summary>
    private static VppException? CheckHidden(string value, string what, string errorId) =>
        NameRules.HiddenCharacterProblem(value, what, allowJoiners: false) is { } problem
            ? new VppException(VppErrorKind.InvalidArgument, errorId, $"'{NameRules.Printable(value)}' is not a valid {what}: {problem}.", NameRules.Printable(value))
            : null;

    public static VppException? CheckGroupName(string name) =>
        NameRules.Check(name, "group name", "VppGroupNameInvalid") ??
        (string.IsNullOrWhiteSpace(name) || name.Contains(';') || name != name.Trim()
            ? new VppException(VppErrorKind.InvalidArgument, "VppGroupNameInvalid",
                $"'{name}' cannot be a group name: use 1 to {NameRules.MaxLength} characters, no ';' (it separates groups in Import-VppDirectory files) and no spaces at either end.", name)
            : null);

    /// <summary>The free-text names a member comes with (a person's display name, a device's name), and its addresses (mail, Managed Apple Account, a device's owner).</summary>
    public static VppException? CheckMemberNames(MemberInput input) =>
        (MemberInput.Clean(input.DisplayName) is { } display ? NameRules.Check(display, "display name", "VppDisplayNameInvalid") : null) ??
        (MemberInput.Clean(input.DeviceName) is { } device ? NameRules.Check(device, "device name", "VppDeviceNameInvalid") : null) ??
        (MemberInput.Clean(input.Mail) is { } mail ? CheckMail(mail, "e-mail address", "VppMailInvalid") : null) ??
        (MemberInput.Clean(input.ManagedAppleId) is { } managed ? CheckMail(managed, "Managed Apple Account", "VppManagedAppleIdInvalid") : null) ??
        (MemberInput.Clean(input.Owner) is { } owner ? CheckOwner(owner) : null);
}
