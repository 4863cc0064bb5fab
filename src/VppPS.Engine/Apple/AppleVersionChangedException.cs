namespace VppPS.Engine.Apple;

/// <summary>
/// Apple's data changed during a paged read (a page's versionId differs from page 0's): what
/// was read so far is inconsistent and the read must start again from page 0.
/// </summary>
public sealed class AppleVersionChangedException : VppException
{
    public AppleVersionChangedException(string endpoint, string? firstVersionId, string? pageVersionId, int pageIndex)
        : base(VppErrorKind.Conflict, "VppAppleDataChanged",
            $"Apple's data changed while reading {endpoint} (page {pageIndex} has version {pageVersionId}, page 0 had {firstVersionId}). Read again from the start.",
            endpoint)
    {
        FirstVersionId = firstVersionId;
        PageVersionId = pageVersionId;
        PageIndex = pageIndex;
    }

    public string? FirstVersionId { get; }
    public string? PageVersionId { get; }
    public int PageIndex { get; }
}
