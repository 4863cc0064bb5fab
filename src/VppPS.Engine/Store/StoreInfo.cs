namespace VppPS.Engine.Store;

/// <summary>
/// What Get-VppStore shows: which store the session uses and why, where it is, its schema, whether
/// this login may change it, whether the key matches, and the store's identity (the mdmInfo id
/// every admin and job on it shows Apple). Never a password or a key.
/// </summary>
public sealed class StoreInfo
{
    public required StoreKind Kind { get; init; }
    /// <summary>Session (Connect-VppStore), Environment, Configuration or Default.</summary>
    public required string Source { get; init; }
    /// <summary>"PostgreSql user@host:port/database" or "Sqlite folder".</summary>
    public required string Location { get; init; }
    public string? Host { get; init; }
    public int? Port { get; init; }
    public string? Database { get; init; }
    public string? User { get; init; }
    public string? Folder { get; init; }
    public required int SchemaVersion { get; init; }
    /// <summary>The newest schema this module knows for the store's kind.</summary>
    public required int ModuleSchemaVersion { get; init; }
    /// <summary>The login may only read (vppps_reader): every change is refused.</summary>
    public required bool ReadOnly { get; init; }
    /// <summary>PostgreSQL: the key given is the store's (a wrong one is refused before this is shown). SQLite: null.</summary>
    public bool? KeyMatches { get; init; }
    /// <summary>The store's identity: the mdmInfo id VppPS shows Apple for every location it manages from this store.</summary>
    public required string StoreId { get; init; }
}
