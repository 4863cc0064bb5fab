namespace VppPS.Engine.Apple;

/// <summary>What a cursor-paged read gave.</summary>
/// <param name="Items">Every item, or none when <paramref name="Unchanged"/>.</param>
/// <param name="VersionId">The first page's versionId: store it to tell a later read whether anything changed.</param>
/// <param name="Unchanged">The first page had the versionId the caller already held: nothing was read past it.</param>
/// <param name="Pages">Pages read in the traversal that succeeded.</param>
/// <param name="Restarts">How often the read started again because the versionId changed.</param>
public sealed record CursorReadResult<TItem>(IReadOnlyList<TItem> Items, string? VersionId, bool Unchanged, int Pages, int Restarts);
