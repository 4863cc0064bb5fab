using VppPS.Engine.Security;

namespace VppPS.Engine.Store;

/// <summary>
/// Which store a command uses, and why: a choice made for the caller (tests today; a PowerShell
/// session's own choice once the PostgreSQL store is complete, issue 11), else the local SQLite
/// data folder (VPPPS_HOME, Set-VppConfiguration -DataFolder, the platform's per-user folder).
/// </summary>
public sealed class StoreChoice
{

    private StoreChoice(StoreLocation location, byte[]? key, string source)
    {
        Location = location;
        Key = key;
        Source = source;
    }

    public StoreLocation Location { get; }
    /// <summary>Session, Environment, Configuration or Default (and, for a folder, where the folder came from).</summary>
    public string Source { get; }
    /// <summary>The store key of a PostgreSQL store, when one was given.</summary>
    internal byte[]? Key { get; }

    /// <summary>Identifies the store and key for the session cache: never shown.</summary>
    internal string CacheKey => Location.Kind == StoreKind.Sqlite
        ? "sqlite:" + Location.Folder
        : "postgres:" + Location.ConnectionString + "|" + (Key is null ? "" : StoreKey.CheckValue(Key));

    public static StoreChoice ForFolder(string folder, string source = "Session") => new(StoreLocation.ForFolder(folder), null, source);

    /// <param name="key">Base64 of the store key, or null for VPPPS_STORE_KEY.</param>
    public static StoreChoice ForPostgres(string connection, string? key, string source = "Session")
    {
        var location = StoreLocation.ForPostgres(connection);
        key ??= Environment.GetEnvironmentVariable(StoreKey.Variable);
        return new StoreChoice(location, string.IsNullOrWhiteSpace(key) ? null : StoreKey.Parse(key), source);
    }

    /// <summary>The store in effect: the choice made for the caller, else the local data folder.</summary>
    public static StoreChoice Resolve(StoreChoice? session)
    {
        if (session is not null) return session;
        // VPPPS_STORE and the saved store are read once the PostgreSQL store is complete (issue 11):
        // until then every user stays on the local SQLite folder.
        var (folder, folderSource) = StatePaths.Resolve();
        return new StoreChoice(StoreLocation.ForFolder(folder), null, folderSource);
    }

    public override string ToString() => $"{Location} ({Source})";
}
