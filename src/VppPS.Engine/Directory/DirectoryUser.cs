namespace VppPS.Engine.Directories;

/// <summary>
/// A person of the directory. <see cref="UserId"/> is VppPS's own stable id (what managed VPP users
/// refer to); <see cref="ExternalId"/> is the id of the source (for example the Entra object id).
/// A user removed from the directory keeps a tombstone (<see cref="RemovedDateTime"/>).
/// </summary>
public sealed class DirectoryUser
{
    /// <summary>The row key, for joins in the engine.</summary>
    public required long UserKey { get; init; }
    public required string UserId { get; init; }
    public required string UserPrincipalName { get; init; }
    public string? Mail { get; init; }
    public string? ManagedAppleId { get; init; }
    public string? DisplayName { get; init; }
    public string? ExternalId { get; init; }
    public required string[] Groups { get; init; }
    public required DateTimeOffset CreatedDateTime { get; init; }
    public required DateTimeOffset LastModifiedDateTime { get; init; }
    public DateTimeOffset? RemovedDateTime { get; init; }
    public bool IsRemoved => RemovedDateTime is not null;

    public override string ToString() => UserPrincipalName;
}
