namespace VppPS.Engine.Sync;

#pragma warning disable IDE1006
/// <summary>How a run went; the values match the token's LastSyncStatus.</summary>
public enum SyncStatus { inProgress, completed, failed }
#pragma warning restore IDE1006

public enum SyncKind { Full, Incremental }

/// <summary>One run of Sync-VppToken for one token, as Get-VppSyncHistory shows it.</summary>
public sealed record SyncRun
{
    public required long Id { get; init; }
    public required Guid TokenId { get; init; }
    public required string TokenName { get; init; }
    public required SyncKind Kind { get; init; }
    public required SyncStatus Status { get; init; }
    public required DateTimeOffset StartDateTime { get; init; }
    public DateTimeOffset? EndDateTime { get; init; }
    public int? AppCount { get; init; }
    public int? BookCount { get; init; }
    public long? AssignmentCount { get; init; }
    public long? UserCount { get; init; }
    public int? SkippedCount { get; init; }
    public long? RequestCount { get; init; }
    public string? Error { get; init; }

    public TimeSpan? Duration => EndDateTime - StartDateTime;

    /// <summary>What applying the assignments after the pull did (this run only; not kept in the history).</summary>
    public Assignments.ApplyResult? Applied { get; init; }
}
