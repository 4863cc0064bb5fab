using System.Collections.Concurrent;
using VppPS.Engine.Configuration;
using VppPS.Engine.Security;
using VppPS.Engine.Store;

namespace VppPS.Engine;

/// <summary>
/// What one data folder gives a process: the state store, the secret protector, the
/// installation's identity. Opened once per folder per process (opening migrates the schema).
/// </summary>
public sealed class VppSession
{
    private static readonly ConcurrentDictionary<string, Lazy<VppSession>> Sessions = new(StringComparer.Ordinal);

    private readonly ConcurrentQueue<string> _warnings = new();

    private VppSession(string folder, string folderSource)
    {
        Store = StateStore.Open(folder);
        foreach (var warning in Store.OpeningWarnings) _warnings.Enqueue(warning);
        FolderSource = folderSource;
        Secrets = new SecretProtector(folder, storedSecretsExist: () => Store.Read(c => c.Scalar(null, """
            SELECT EXISTS (SELECT 1 FROM tokens WHERE token_secret LIKE 'aesgcm:%') OR EXISTS (SELECT 1 FROM settings WHERE value LIKE 'aesgcm:%')
            """) is 1L));
        Settings = new SettingsStore(Store);
        InstallationId = Store.Write((c, t) =>
        {
            c.Execute(t, "INSERT OR IGNORE INTO installation (id, installation_id, created_at) VALUES (1, $id, $at)",
                ("$id", Guid.NewGuid().ToString()), ("$at", DateTimeOffset.UtcNow.ToStored()));
            return (string)c.Scalar(t, "SELECT installation_id FROM installation WHERE id = 1")!;
        });
    }

    public StateStore Store { get; }
    public SecretProtector Secrets { get; }
    public SettingsStore Settings { get; }
    public string FolderSource { get; }

    /// <summary>A stable id for this installation, used as VppPS's mdmInfo id at Apple.</summary>
    public string InstallationId { get; }

    public VppConfiguration Configuration => Settings.Current(FolderSource);

    /// <summary>What opening the data folder found and fixed, each told once: the first caller takes them.</summary>
    public IReadOnlyList<string> TakeWarnings()
    {
        var taken = new List<string>();
        while (_warnings.TryDequeue(out var warning)) taken.Add(warning);
        return taken;
    }

    /// <summary>A session of its own on <paramref name="folder"/>, not shared (tests: no process-wide VPPPS_HOME).</summary>
    internal static VppSession ForFolder(string folder) => new(folder, "Test");

    /// <summary>
    /// Examines the database of the data folder in effect without opening a session on it (it may
    /// be too damaged for that; see <see cref="StateStore.Check"/>). A folder without a database
    /// gets one first, as any command would make it.
    /// </summary>
    public static DatabaseCheck CheckDatabase()
    {
        var (folder, _) = StatePaths.Resolve();
        if (!File.Exists(Path.Combine(folder, StatePaths.DatabaseFileName)))
            Current();
        return StateStore.Check(folder);
    }

    /// <summary>The session for the data folder in effect now (VPPPS_HOME may change between calls).</summary>
    public static VppSession Current()
    {
        var (folder, source) = StatePaths.Resolve();
        var lazy = Sessions.GetOrAdd(folder, f => new Lazy<VppSession>(() => new VppSession(f, source)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache a failure: the user may fix the folder and try again.
            Sessions.TryRemove(new KeyValuePair<string, Lazy<VppSession>>(folder, lazy));
            throw;
        }
    }
}
