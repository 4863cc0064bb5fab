namespace VppPS.Engine.Directories;

/// <summary>
/// The members of one group now: <see cref="Users"/> for a User group, <see cref="SerialNumbers"/>
/// (upper-case) for a Device group; the other list is empty. Removed users and devices are never members.
/// </summary>
public sealed record GroupMembers(long GroupKey, string Name, DirectoryKind Kind, IReadOnlyList<MemberUser> Users, IReadOnlyList<string> SerialNumbers);
