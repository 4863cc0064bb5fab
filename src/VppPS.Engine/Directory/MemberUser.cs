namespace VppPS.Engine.Directories;

/// <summary>A user member as the assignment engine needs it: keys and the addresses Apple knows.</summary>
public sealed record MemberUser(long UserKey, string Id, string UserPrincipalName, string? Mail, string? ManagedAppleId);
