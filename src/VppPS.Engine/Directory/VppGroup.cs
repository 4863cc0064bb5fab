namespace VppPS.Engine.Directories;

/// <summary>A user group or device group of the directory, the target of assignments.</summary>
public sealed class VppGroup
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public required DirectoryKind Kind { get; init; }
    public required long MemberCount { get; init; }
    public string? Description { get; init; }
    public required DateTimeOffset CreatedDateTime { get; init; }

    public override string ToString() => Name;
}
