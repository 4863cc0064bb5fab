using System.Text;
using VppPS.Engine.Security;

namespace VppPS.Engine.Store;

/// <summary>
/// Which store a command uses, and why. In order: the PowerShell session's own choice
/// (Connect-VppStore: each runspace chooses for itself, so runbook jobs in one process keep
/// apart); VPPPS_STORE (a PostgreSQL URI or connection string; its key in VPPPS_STORE_KEY); the
/// store saved for the user (Set-VppConfiguration -Store, in the default data folder, the
/// connection string and key encrypted like a token); else the local SQLite data folder
/// (VPPPS_HOME, Set-VppConfiguration -DataFolder, the platform's per-user folder).
/// </summary>
public sealed class StoreChoice
{
    public const string StoreVariable = "VPPPS_STORE";
    private const string SavedFileName = "store.txt";

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

    /// <summary>The store in effect: the session's choice, else the environment, else the saved one, else the local folder.</summary>
    public static StoreChoice Resolve(StoreChoice? session)
    {
        if (session is not null) return session;
        var fromEnvironment = Environment.GetEnvironmentVariable(StoreVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return ForPostgres(fromEnvironment, null, "Environment");
        if (ReadSaved() is { } saved) return saved;
        var (folder, folderSource) = StatePaths.Resolve();
        return new StoreChoice(StoreLocation.ForFolder(folder), null, folderSource);
    }

    /// <summary>
    /// Saves a PostgreSQL store for the user (Set-VppConfiguration -Store), the connection string
    /// and key encrypted with the local key of the default data folder; null forgets it.
    /// </summary>
    public static void Save(string? connection, string? key)
    {
        var file = Path.Combine(StatePaths.DefaultFolder, SavedFileName);
        if (connection is null)
        {
            if (File.Exists(file)) File.Delete(file);
            return;
        }
        var checkedChoice = ForPostgres(connection, key, "Configuration");
        PrivateFiles.CreateFolder(StatePaths.DefaultFolder);
        var protector = new SecretProtector(StatePaths.DefaultFolder);
        var lines = protector.Protect(connection) + "\n" + (checkedChoice.Key is null ? "" : protector.Protect(Convert.ToBase64String(checkedChoice.Key)));
        AtomicFile.Replace(file, new UTF8Encoding(false), w => w.Write(lines));
    }

    private static StoreChoice? ReadSaved()
    {
        var file = Path.Combine(StatePaths.DefaultFolder, SavedFileName);
        if (!File.Exists(file)) return null;
        var lines = File.ReadAllText(file).Split('\n');
        var protector = new SecretProtector(StatePaths.DefaultFolder);
        var connection = protector.Unprotect(lines[0].Trim());
        var key = lines.Length > 1 && lines[1].Trim().Length > 0 ? protector.Unprotect(lines[1].Trim()) : null;
        return ForPostgres(connection, key, "Configuration");
    }

    public override string ToString() => $"{Location} ({Source})";
}
