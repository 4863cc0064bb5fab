using Npgsql;
using VppPS.Engine.Sync;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>
/// The shared store's connections cut by the server (a restart, a failover, an administrator, the
/// network) in the middle of a sync and in the middle of applying a plan: a clear error, the
/// previous state kept, and one clean run afterwards leaves the state as if nothing had happened.
/// These run on PostgreSQL in both passes of the suite: the fault is PostgreSQL's own.
/// </summary>
public sealed partial class JournalTests
{
    /// <summary>
    /// Passes requests to the simulator; at the request <see cref="Before"/> or <see cref="After"/>
    /// picks (once), the server ends every connection to the test's database, as pg_terminate_backend
    /// does for an administrator: the engine's open and pooled connections are all cut.
    /// </summary>
    private sealed class ConnectionCutter(PostgresDatabaseForTest database) : DelegatingHandler(new SocketsHttpHandler())
    {
        public Func<HttpRequestMessage, bool>? Before { get; set; }
        public Func<HttpRequestMessage, bool>? After { get; set; }
        /// <summary>Runs after the cut (the server staying away, for one).</summary>
        public Action? Cut { get; set; }
        public int Cuts { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Before?.Invoke(request) == true) EndAll();
            var response = await base.SendAsync(request, cancellationToken);
            if (After?.Invoke(request) == true) EndAll();
            return response;
        }

        private void EndAll()
        {
            (Before, After) = (null, null);
            using var connection = new NpgsqlConnection(database.Admin.ConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = database.Name });
            Assert.True((long)command.ExecuteScalar()! > 0, "the engine had no connection to cut");
            Cuts++;
            Cut?.Invoke();
        }
    }

    private static bool Is(HttpRequestMessage request, string path, string? query = null) =>
        request.RequestUri!.AbsolutePath.EndsWith(path, StringComparison.Ordinal) && (query is null || request.RequestUri.Query.Contains(query, StringComparison.Ordinal));

    private static void AssertStoreLost(VppException error, EngineHarness h)
    {
        Assert.Equal(VppErrorKind.ServiceUnavailable, error.Kind);
        Assert.Equal("VppStoreConnectionLost", error.ErrorId);
        Assert.Contains("ended VppPS's connection", error.Message, StringComparison.Ordinal);
        Assert.Contains("a change already sent to Apple is finished by the next run; try again", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Postgres!.Admin.Password ?? "\u0000", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_sync_whose_store_connections_are_cut_midway_fails_clearly_keeps_the_previous_state_and_the_next_sync_catches_up()
    {
        await using var h = await StartAsync(postgres: true);
        DeviceGroup(h.Context, "iPads", 3);
        await SetAsync(h.Context, h, TenApp, "iPads");
        h.Sim.BuyLicenses(School, TenApp, 5);
        var (licenses, assets) = (h.StateLicenses(), h.StateAssets());
        using var cutter = new ConnectionCutter(h.Postgres!) { Before = r => Is(r, "/users", "pageIndex=0") };
        using var http = new HttpClient(cutter);

        // Cut while the licenses are being copied in and the users are next.
        var error = await Assert.ThrowsAsync<VppException>(() => new SyncService(Context(h, http))
            .SyncAsync(h.CurrentToken, forceFull: true, CancellationToken.None).WaitAsync(Guard));

        Assert.Equal(1, cutter.Cuts);
        AssertStoreLost(error, h);
        Assert.Equal(licenses, h.StateLicenses());
        Assert.Equal(assets, h.StateAssets());
        Assert.Equal(SyncStatus.failed, h.SyncHistory()[0].Status);

        var run = await h.SyncAsync(forceFull: true).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal(15, h.StateAssets().Single(a => a.AdamId == TenApp).Total);
        AssertConsistent(h);
    }

    [PostgresFact]
    public async Task A_plan_whose_store_connections_are_cut_after_Apple_applied_a_request_loses_no_license()
    {
        await using var h = await StartAsync(postgres: true);
        DeviceGroup(h.Context, "iPads", 3);
        // The server also ends the next connection VppPS takes after the cut (a new one, when it finds the
        // pooled one dead and runs the unit of work again): recording Apple's answer fails.
        using var cutter = new ConnectionCutter(h.Postgres!)
        {
            After = r => r.Method == HttpMethod.Post && Is(r, "/assets/associate"),
            Cut = () => h.Context.Store.OnOpen = c =>
            {
                h.Context.Store.OnOpen = null;
                c.Execute(null, "SELECT pg_terminate_backend(pg_backend_pid())");
            },
        };
        using var http = new HttpClient(cutter);

        // Apple applies the associate; its answer reaches VppPS after every connection to the store is gone.
        var error = await Assert.ThrowsAsync<VppException>(() => SetAsync(Context(h, http), h, TenApp, "iPads").WaitAsync(Guard));

        Assert.Equal(1, cutter.Cuts);
        AssertStoreLost(error, h);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));

        // The next run finishes what the journal holds: the licenses Apple gave are VppPS's, given once.
        var run = await SyncAsync(h.Context, h).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        AssertConsistent(h);
    }

    [PostgresFact]
    public async Task A_plan_whose_idle_store_connections_the_server_ended_goes_on_on_new_ones()
    {
        await using var h = await StartAsync(postgres: true);
        DeviceGroup(h.Context, "iPads", 3);
        using var cutter = new ConnectionCutter(h.Postgres!) { After = r => r.Method == HttpMethod.Post && Is(r, "/assets/associate") };
        using var http = new HttpClient(cutter);

        // Apple applies the associate; its answer reaches VppPS after the server ended every connection
        // to the store (a restart): the next unit of work finds its pooled connection dead and takes a new one.
        await SetAsync(Context(h, http), h, TenApp, "iPads").WaitAsync(Guard);

        Assert.Equal(1, cutter.Cuts);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        var run = await SyncAsync(h.Context, h).WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal([Serial(1), Serial(2), Serial(3)], SimHolders(h, TenApp));
        AssertConsistent(h);
    }
}
