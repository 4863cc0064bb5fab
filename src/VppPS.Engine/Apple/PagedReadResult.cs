namespace VppPS.Engine.Apple;

/// <summary>The outcome of <see cref="ApplePaging.ReadAllAsync{TResponse}"/>.</summary>
/// <param name="VersionId">Page 0's versionId: pass it as sinceVersionId for the next incremental read.</param>
/// <param name="Pages">Pages handed to the consumer in the traversal that succeeded.</param>
/// <param name="Restarts">How often the read started again because the versionId changed.</param>
public sealed record PagedReadResult(string? VersionId, int Pages, int Restarts);
