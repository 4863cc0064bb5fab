using System.Collections.Concurrent;
using VppPS.Engine.Configuration;
using VppPS.Engine.Security;
using VppPS.Engine.Store;

namespace VppPS.Engine;

/// <summary>
/// What one store gives a process: the state store (a SQLite data folder or a PostgreSQL
/// database), the secret protector (the folder's key file, or a shared store's key), and the
/// store's identity (the mdmInfo id every admin and job on this store shows Apple). Opened once
/// per store and key per process (opening migrates the schema).
/// </summary>
public sealed class VppSession
{
    private static readonly ConcurrentDictionary<string, Lazy<VppSession>> Sessions = new(StringComparer.Ordinal);

    private readonly ConcurrentQueue<string> _warnings = new();

    private VppSession(StoreChoice choice)
    {
        Choice = choice;
        Store = StateStore.Open(choice.Location);
        foreach (var warning in Store.OpeningWarnings) _warnings.Enqueue(warning);
        FolderSource = choice.Source;
        if (Store.Kind == StoreKind.Sqlite)
            Secrets = new SecretProtector(Store.Folder!, storedSecretsExist: () => Store.Read(c => Convert.ToInt64(c.Scalar(null, """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM tokens WHERE token_secret LIKE 'aesgcm:%') OR EXISTS (SELECT 1 FROM settings WHERE value LIKE 'aesgcm:%') THEN 1 ELSE 0 END
                """)) == 1));
        else
        {
            KeyMatches = CheckStoreKey(choice);
            Secrets = new SecretProtector(choice.Key!);
        }
        Settings = new SettingsStore(Store);
        InstallationId = Store.ReadOnly
            ? Store.Read(c => (string?)c.Scalar(null, "SELECT installation_id FROM installation WHERE id = 1")) ?? "(none yet)"
            : Store.Write((c, t) =>
            {
                c.Execute(t, "INSERT INTO installation (id, installation_id, created_at) VALUES (1, $id, $at) ON CONFLICT DO NOTHING",
                    ("$id", Guid.NewGuid().ToString()), ("$at", DateTimeOffset.UtcNow.ToStored()));
                return (string)c.Scalar(t, "SELECT installation_id FROM installation WHERE id = 1")!;
            });
        // Sync runs that a killed process left "inProgress" are told as interrupted from the first command on.
        Sync.SyncRunStore.RecordInterrupted(Store, SystemClock.Instance);
    }

    /// <summary>
    /// A PostgreSQL store needs the team's key before anything is read or written: the first key
    /// given to a new store is recorded by its check value; a missing or different key is refused.
    /// </summary>
    private bool CheckStoreKey(StoreChoice choice)
    {
        if (choice.Key is null)
            throw new VppException(VppErrorKind.AuthenticationFailed, "VppStoreKeyMissing",
                $"The PostgreSQL store {choice.Location} needs the team's store key: set {StoreKey.Variable}, or pass -Key to Connect-VppStore. " +
                "A new team makes one with New-VppStoreKey and keeps it in a vault.", choice.Location.ToString());
        var check = StoreKey.CheckValue(choice.Key);
        var stored = Store.ReadOnly
            ? Store.Read(c => (string?)c.Scalar(null, "SELECT value FROM settings WHERE name = $n", ("$n", StoreKeyCheckSetting)))
            : Store.Write((c, t) =>
            {
                SettingRows.AddIfAbsent(c, t, StoreKeyCheckSetting, check);
                return (string)c.Scalar(t, "SELECT value FROM settings WHERE name = $n", ("$n", StoreKeyCheckSetting))!;
            });
        if (stored is null) return true;
        if (!StoreKey.Matches(choice.Key, stored))
            throw new VppException(VppErrorKind.AuthenticationFailed, "VppStoreKeyWrong",
                $"The store key given is not the key of the PostgreSQL store {choice.Location}: nothing was read or written. " +
                $"Use the team's key (the one the store was first opened with) in {StoreKey.Variable} or Connect-VppStore -Key.", choice.Location.ToString());
        return true;
    }

    /// <summary>The settings row that holds the store key's check value (never the key).</summary>
    internal const string StoreKeyCheckSetting = "StoreKeyCheck";

    /// <summary>The store this session is on, and why.</summary>
    public StoreChoice Choice { get; }

    /// <summary>PostgreSQL: the key given matches the store's (a session is never opened with a wrong one). SQLite: null.</summary>
    public bool? KeyMatches { get; }

    public StateStore Store { get; }
    public SecretProtector Secrets { get; }
    public SettingsStore Settings { get; }
    public string FolderSource { get; }

    /// <summary>A stable id for this installation, used as VppPS's mdmInfo id at Apple.</summary>
    public string InstallationId { get; }

    /// <summary>
    /// For tests, whose sessions are their own (<see cref="ForFolder"/>, <see cref="ForChoice"/>): the
    /// setting overrides every context made on this session starts with. The module's sessions are
    /// shared by every PowerShell session on the store and carry none: a PowerShell session's own
    /// overrides travel on its <see cref="VppContext"/>.
    /// </summary>
    internal IReadOnlyDictionary<string, string>? SettingOverrides { get; set; }

    /// <summary>What Get-VppStore shows of this session's store, chosen as <paramref name="choice"/> says (its Source).</summary>
    public StoreInfo Describe(StoreChoice choice)
    {
        var location = Choice.Location;
        return new StoreInfo
        {
            Kind = location.Kind,
            Source = choice.Source,
            Location = location.ToString(),
            Host = location.Host,
            Port = location.Port,
            Database = location.Database,
            User = location.Username,
            Folder = location.Folder,
            SchemaVersion = Store.SchemaVersion,
            ModuleSchemaVersion = location.Kind == StoreKind.Sqlite ? Migrations.LatestVersion : VppPS.Engine.Store.Postgres.PostgresMigrations.LatestVersion,
            ReadOnly = Store.ReadOnly,
            KeyMatches = KeyMatches,
            StoreId = InstallationId,
        };
    }

    /// <summary>What opening the data folder found and fixed, each told once: the first caller takes them.</summary>
    public IReadOnlyList<string> TakeWarnings()
    {
        var taken = new List<string>();
        while (_warnings.TryDequeue(out var warning)) taken.Add(warning);
        return taken;
    }

    /// <summary>A session of its own on <paramref name="folder"/>, not shared (tests: no process-wide VPPPS_HOME).</summary>
    internal static VppSession ForFolder(string folder) => new(StoreChoice.ForFolder(folder, "Test"));

    /// <summary>A session of its own on <paramref name="choice"/>, not shared (tests).</summary>
    internal static VppSession ForChoice(StoreChoice choice) => new(choice);

    /// <summary>
    /// Examines the database of the data folder in effect without opening a session on it (it may
    /// be too damaged for that; see <see cref="StateStore.Check"/>). A folder without a database
    /// gets one first, as any command would make it.
    /// </summary>
    public static DatabaseCheck CheckDatabase(StoreChoice? sessionChoice = null)
    {
        var choice = StoreChoice.Resolve(sessionChoice);
        if (choice.Location.Kind == StoreKind.PostgreSql)
        {
            // The server keeps its own files sound; what can be wrong is reaching it, the login, the key or the schema.
            var session = Current(choice);
            return new DatabaseCheck(choice.Location.ToString(), session.Store.SchemaVersion, null, "ok", null);
        }
        var folder = choice.Location.Folder!;
        if (!File.Exists(Path.Combine(folder, StatePaths.DatabaseFileName)))
            Current(choice);
        return StateStore.Check(folder);
    }

    /// <summary>Drops the process's open session on <paramref name="choice"/>'s store, so the next command opens it afresh (after Copy-VppState replaced its state).</summary>
    internal static void Forget(StoreChoice choice) => Sessions.TryRemove(choice.CacheKey, out _);

    /// <summary>
    /// The session for the store in effect now: <paramref name="sessionChoice"/> (the PowerShell
    /// session's own, Connect-VppStore) or what the environment and configuration say (they may
    /// change between calls). One session per store and key per process (opening migrates).
    /// </summary>
    public static VppSession Current(StoreChoice? sessionChoice = null)
    {
        var choice = StoreChoice.Resolve(sessionChoice);
        var lazy = Sessions.GetOrAdd(choice.CacheKey, _ => new Lazy<VppSession>(() => new VppSession(choice)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache a failure: the user may fix the folder, server or key and try again.
            Sessions.TryRemove(new KeyValuePair<string, Lazy<VppSession>>(choice.CacheKey, lazy));
            throw;
        }
    }
}
