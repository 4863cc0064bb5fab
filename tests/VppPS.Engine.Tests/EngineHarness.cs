using VppPS.Engine.Configuration;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests;

/// <summary>
/// Tests that point the engine at an in-process simulator. The retry-delay variable is
/// process-wide, so these tests never run in parallel.
/// </summary>
[CollectionDefinition("Simulator", DisableParallelization = true)]
public sealed class SimulatorCollection;

/// <summary>
/// One engine-level test: a private data folder, its own simulator on an OS-chosen port, a
/// session on that folder, and the location's token added (which claims it for this installation).
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private const string RetryDelayVariable = "VPPPS_RETRY_BASE_DELAY_MS";
    private readonly TempFolder _folder;
    private string? _retryDelayBefore;
    private IDisposable? _database;

    private EngineHarness(TempFolder folder, SimulatorHost host, VppContext context, string location)
    {
        _folder = folder;
        Host = host;
        Context = context;
        Location = location;
    }

    public SimulatorHost Host { get; }
    /// <summary>The test's PostgreSQL database, when the harness runs on PostgreSQL.</summary>
    public PostgresDatabaseForTest? Postgres => _database as PostgresDatabaseForTest;
    public VppContext Context { get; }
    public string Location { get; }
    public SimulatorState Sim => Host.State;
    public VppToken Token { get; private set; } = null!;
    public TokenService Tokens => new(Context);

    /// <summary>The harness on the run's backend, or on PostgreSQL whatever the run's backend when <paramref name="postgres"/> is true.</summary>
    public static async Task<EngineHarness> StartAsync(SimulatorScenario scenario, string location, bool? postgres = null)
    {
        // No request-rate waits: the engine adopts service/config's maxRequestPerSecond.
        scenario.Limits ??= new Dictionary<string, int>();
        scenario.Limits["maxRequestPerSecond"] = 10_000;
        var host = await SimulatorHost.StartAsync(new SimulatorOptions { Scenario = scenario });
        var retryDelayBefore = Environment.GetEnvironmentVariable(RetryDelayVariable);
        Environment.SetEnvironmentVariable(RetryDelayVariable, "0"); // retries at once, no backoff
        var folder = new TempFolder();
        IDisposable? database = null;
        try
        {
            var session = TestStores.Session(folder.Path, out database, postgres);
            // The session is the test's own: every context made on it talks to this simulator.
            session.SettingOverrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["ServiceUrl"] = host.AppleBaseUrl,
                ["MetadataServiceUrl"] = host.MetadataBaseUrl,
                ["StatusPollIntervalSeconds"] = "0",
            };
            var context = new VppContext(session, "xunit", NullObserver.Instance);
            var harness = new EngineHarness(folder, host, context, location) { _retryDelayBefore = retryDelayBefore, _database = database };
            var sToken = host.TokenFiles.Single(t => t.LocationName == location).SToken;
            harness.Token = await harness.Tokens.AddAsync(
                new AddTokenRequest(ContentTokenFile.Parse(sToken, "test"), "a@b.example", VppTokenAccountType.education), CancellationToken.None);
            return harness;
        }
        catch
        {
            // A harness that did not start leaves nothing behind: the simulator, the environment, the database, the folder.
            await CleanUpAsync(host, retryDelayBefore, database, folder);
            throw;
        }
    }

    public static Task<EngineHarness> StartDemoAsync(string location = "Riverside High School", Action<SimulatorScenario>? change = null)
    {
        var scenario = SimulatorScenario.Load("Demo");
        change?.Invoke(scenario);
        return StartAsync(scenario, location);
    }

    /// <summary>The token as the state has it now.</summary>
    public VppToken CurrentToken => Tokens.Get(Token.Id);

    public Task<SyncRun> SyncAsync(bool forceFull = false) => new SyncService(Context).SyncAsync(CurrentToken, forceFull, CancellationToken.None);

    // ---------------------------------------------------------------- the state, as sorted rows

    public List<(string AdamId, string PricingParam, string? User, string? Serial)> StateLicenses() =>
        new InventoryQueries(Context.Store).Licenses(new LicenseFilter())
            .Select(l => (l.AdamId, l.PricingParam, l.TargetType == LicenseTargetType.User ? l.Target : null, l.TargetType == LicenseTargetType.Device ? l.Target : null))
            .OrderBy(x => x.AdamId, StringComparer.Ordinal).ThenBy(x => x.PricingParam, StringComparer.Ordinal)
            .ThenBy(x => x.Item3, StringComparer.Ordinal).ThenBy(x => x.Item4, StringComparer.Ordinal)
            .ToList();

    public List<(string AdamId, string PricingParam, string? User, string? Serial)> SimLicenses(params string[] exceptAdamIds) =>
        Sim.GetAssignments(Location)
            .Where(a => !exceptAdamIds.Contains(a.AdamId))
            .Select(a => (a.AdamId, a.PricingParam, a.ClientUserId, a.SerialNumber))
            .OrderBy(x => x.AdamId, StringComparer.Ordinal).ThenBy(x => x.PricingParam, StringComparer.Ordinal)
            .ThenBy(x => x.ClientUserId, StringComparer.Ordinal).ThenBy(x => x.SerialNumber, StringComparer.Ordinal)
            .ToList();

    public List<(string ClientUserId, string? Email, string Status, string? InviteCode, string? IdHash)> StateUsers() =>
        new InventoryQueries(Context.Store).Users(null, null, null, null)
            .Select(u => (u.ClientUserId, u.Email, u.Status, u.InviteCode, u.IdHash))
            .OrderBy(x => x.ClientUserId, StringComparer.Ordinal).ToList();

    /// <summary>The simulator's users, one per clientUserId: the latest record (what a full read leaves).</summary>
    public List<(string ClientUserId, string? Email, string Status, string? InviteCode, string? IdHash)> SimUsers() =>
        Sim.GetUsers(Location)
            .GroupBy(u => u.ClientUserId).Select(g => g.Last())
            .Select(u => (u.ClientUserId, u.Email, u.Status, u.InviteCode, u.IdHash))
            .OrderBy(x => x.ClientUserId, StringComparer.Ordinal).ToList();

    /// <summary>How StateAssets and SimAssets show the total and available counts of a free (unlimited) asset.</summary>
    public const long Unlimited = -1;

    public List<(string AdamId, string PricingParam, string ProductType, long Total, long Assigned, long Available, long Retired)> StateAssets() =>
        new InventoryQueries(Context.Store).Assets(new AssetFilter("App"), summary: false)
            .Concat(new InventoryQueries(Context.Store).Assets(new AssetFilter("Book"), summary: false))
            .Select(a => (a.AdamId, a.PricingParam, a.ProductType, a.TotalCount ?? Unlimited, a.AssignedCount, a.AvailableCount ?? Unlimited, a.RetiredCount))
            .OrderBy(x => x.AdamId, StringComparer.Ordinal).ThenBy(x => x.PricingParam, StringComparer.Ordinal).ToList();

    public List<(string AdamId, string PricingParam, string ProductType, long Total, long Assigned, long Available, long Retired)> SimAssets(params string[] exceptAdamIds) =>
        Sim.GetAssets(Location)
            .Where(a => !exceptAdamIds.Contains(a.AdamId))
            .Select(a => (a.AdamId, a.PricingParam, a.ProductType, a.Unlimited ? Unlimited : a.TotalCount, (long)a.AssignedCount, a.Unlimited ? Unlimited : a.AvailableCount, (long)a.RetiredCount))
            .OrderBy(x => x.AdamId, StringComparer.Ordinal).ThenBy(x => x.PricingParam, StringComparer.Ordinal).ToList();

    /// <summary>The sync history of the token, newest first.</summary>
    public IReadOnlyList<SyncRun> SyncHistory() => new SyncRunStore(Context).History(Token.Id, null, 100);

    public ValueTask DisposeAsync() => CleanUpAsync(Host, _retryDelayBefore, _database, _folder);

    private static async ValueTask CleanUpAsync(SimulatorHost host, string? retryDelayBefore, IDisposable? database, TempFolder folder)
    {
        Environment.SetEnvironmentVariable(RetryDelayVariable, retryDelayBefore);
        await host.DisposeAsync();
        database?.Dispose();
        folder.Dispose();
    }
}
