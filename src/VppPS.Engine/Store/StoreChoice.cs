using VppPS.Engine.Security;

namespace VppPS.Engine.Store;

/// <summary>
/// Which store a command uses, and why. In order: the PowerShell session's own choice
/// (Connect-VppStore), the VPPPS_STORE environment variable (a PostgreSQL URI or connection
/// string, or a folder), VPPPS_HOME (a folder), the store saved with Set-VppConfiguration -Store,
/// else the local SQLite data folder (Set-VppConfiguration -DataFolder, the per-user folder).
/// </summary>
public sealed class StoreChoice
{

    private StoreChoice(StoreLocation location, byte[]? key, string source)
    {
        Location = location;
        Key = key;
        Source = source;
    }

    /// <summary>The environment variable that names a runbook's or scheduled task's store.</summary>
    public const string Variable = "VPPPS_STORE";

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

    /// <summary>A PostgreSQL URI or connection string, else a folder (what VPPPS_STORE and Copy-VppState -Destination take).</summary>
    /// <param name="key">Base64 of the store key, or null for VPPPS_STORE_KEY (PostgreSQL only).</param>
    public static StoreChoice FromText(string text, string? key, string source) =>
        StoreLocation.LooksLikePostgres(text) ? ForPostgres(text, key, source) : ForFolder(text, source);

    /// <summary>The store in effect (see the class summary for the order).</summary>
    public static StoreChoice Resolve(StoreChoice? session)
    {
        if (session is not null) return session;
        var fromEnvironment = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return FromText(fromEnvironment, null, "Environment");
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(StatePaths.HomeVariable)) && SavedStore.Load() is { } saved)
            return saved;
        var (folder, folderSource) = StatePaths.Resolve();
        return new StoreChoice(StoreLocation.ForFolder(folder), null, folderSource);
    }

    public override string ToString() => $"{Location} ({Source})";
}
