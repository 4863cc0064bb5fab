using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>Runs a paged read to the end, starting again when Apple's data changes under it.</summary>
public static class ApplePaging
{
    /// <summary>
    /// Reads every page of <paramref name="traversal"/> (e.g. <c>ct => client.ReadAssignmentPagesAsync(query, ct)</c>)
    /// into <paramref name="onPage"/>. When a page's versionId differs from page 0's,
    /// <paramref name="onRestart"/> is called (discard what was received) and the read starts
    /// again from page 0, at most <paramref name="maxRestarts"/> times; after that the
    /// <see cref="AppleVersionChangedException"/> propagates.
    /// </summary>
    public static async Task<PagedReadResult> ReadAllAsync<TResponse>(
        Func<CancellationToken, IAsyncEnumerable<TResponse>> traversal,
        Func<TResponse, CancellationToken, ValueTask> onPage,
        Func<CancellationToken, ValueTask>? onRestart = null,
        int maxRestarts = 3,
        CancellationToken cancellationToken = default)
        where TResponse : IApplePage
    {
        for (var restarts = 0; ; restarts++)
        {
            string? versionId = null;
            var pages = 0;
            try
            {
                await foreach (var page in traversal(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    if (pages++ == 0)
                        versionId = page.VersionId;
                    await onPage(page, cancellationToken).ConfigureAwait(false);
                }
                return new PagedReadResult(versionId, pages, restarts);
            }
            catch (AppleVersionChangedException) when (restarts < maxRestarts)
            {
                if (onRestart is not null)
                    await onRestart(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
