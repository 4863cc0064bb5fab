namespace VppPS.Engine.Apple.Wire;

/// <summary>The paging and version fields shared by the assets, assignments and users answers.</summary>
public interface IApplePage
{
    int CurrentPageIndex { get; }
    /// <summary>Absent on the last page.</summary>
    int? NextPageIndex { get; }
    /// <summary>Records on this page.</summary>
    int Size { get; }
    int TotalPages { get; }
    string? VersionId { get; }
}

/// <summary>A page with its records.</summary>
public interface IApplePage<out TItem> : IApplePage
{
    IReadOnlyList<TItem> Items { get; }
}

/// <summary>A page of a cursor-paged read (the subscription endpoints): no page index, a nextCursor until the last page.</summary>
public interface ICursorPage<out TItem>
{
    /// <summary>Opaque; absent on the last page.</summary>
    string? NextCursor { get; }
    string? VersionId { get; }
    IReadOnlyList<TItem> Items { get; }
}
