namespace VppPS.Engine.Directories;

/// <summary>What Add- or Remove-VppGroupMember changed.</summary>
public sealed record MembershipChange(string Group, int Added, int Removed, int Unchanged, int CreatedInDirectory, int UpdatedInDirectory, IReadOnlyList<VppGroupMember> Members, IReadOnlyList<string> NotMembers, IReadOnlyList<string> Changes);
