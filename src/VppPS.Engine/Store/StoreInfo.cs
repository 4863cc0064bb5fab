namespace VppPS.Engine.Store;

/// <summary>What Get-VppStore shows: the store in effect and what this login may do there. Never a password or a key.</summary>
public sealed record StoreInfo
{
    public required StoreKind Kind { get; init; }
    /// <summary>Session, Environment, Configuration, Default (or where the data folder came from).</summary>
    public required string Source { get; init; }
    public string? Folder { get; init; }
    public string? Host { get; init; }
    public int? Port { get; init; }
    public string? Database { get; init; }
    public string? Username { get; init; }
    public required int SchemaVersion { get; init; }
    /// <summary>True when this login may only read (vppps_reader).</summary>
    public required bool ReadOnly { get; init; }
    /// <summary>PostgreSQL: whether the key given matches the store's (null: no key given). SQLite: null (its key is the data folder's).</summary>
    public bool? KeyMatches { get; init; }
    /// <summary>The store's identity: the mdmInfo id every admin and job on this store shows Apple.</summary>
    public required string StoreId { get; init; }
}
