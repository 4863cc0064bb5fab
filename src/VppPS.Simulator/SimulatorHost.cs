using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VppPS.Simulator;

/// <summary>How to start a simulator.</summary>
public sealed class SimulatorOptions
{
    /// <summary>A scenario object; wins over ScenarioPath.</summary>
    public SimulatorScenario? Scenario { get; set; }
    /// <summary>A scenario file, or the name of a built-in scenario ("Demo").</summary>
    public string? ScenarioPath { get; set; }
    /// <summary>Where to write one .vpptoken per location (created if missing); null = none written.</summary>
    public string? TokenDirectory { get; set; }
    /// <summary>Listening URL; port 0 lets the OS choose.</summary>
    public string Url { get; set; } = "http://127.0.0.1:0";
    /// <summary>The clock; default the system clock.</summary>
    public ISimulatorClock? Clock { get; set; }
    /// <summary>ASP.NET Core console logging (off by default).</summary>
    public bool Logging { get; set; }
    /// <summary>How the scenario's response latency waits; default Task.Delay. Tests pass one that records the delay and returns at once.</summary>
    public Func<TimeSpan, CancellationToken, Task>? Delay { get; set; }
}

/// <summary>A running simulator on Kestrel. Dispose to stop it.</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Timer? _pump;
    private int _disposed;

    /// <summary>Root URL, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string BaseUrl { get; }
    /// <summary>Apple's v2 base: BaseUrl + "/mdm/v2".</summary>
    public string AppleBaseUrl => BaseUrl + "/mdm/v2";
    /// <summary>The api.ent/api.edu-style metadata base: BaseUrl + "/v1" (catalog at /v1/catalog/{storefront}/stoken-authenticated-apps).</summary>
    public string MetadataBaseUrl => BaseUrl + "/v1";
    /// <summary>The legacy lookup URL (service/config urls.contentMetadataLookup).</summary>
    public string LegacyLookupUrl => BaseUrl + "/WebObjects/MZStorePlatform.woa/wa/lookup";
    /// <summary>The control API base: BaseUrl + "/_sim".</summary>
    public string ControlBaseUrl => BaseUrl + "/_sim";
    /// <summary>State and control surface (the same operations as /_sim/).</summary>
    public SimulatorState State { get; }
    /// <summary>One token per location (current content; changes after RenewToken).</summary>
    public IReadOnlyList<SimTokenFile> TokenFiles => State.TokenFiles;
    /// <summary>Time taken to build the scenario's state.</summary>
    public TimeSpan LoadTime { get; }

    private SimulatorHost(WebApplication app, SimulatorState state, string baseUrl, TimeSpan loadTime)
    {
        _app = app; State = state; BaseUrl = baseUrl; LoadTime = loadTime;
        if (state.Scenario.EventDelayMs > 0)
            _pump = new Timer(_ => { try { state.PumpAll(); } catch { } }, null, 20, 20);
    }

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var scenario = options.Scenario
                       ?? (options.ScenarioPath != null ? SimulatorScenario.Load(options.ScenarioPath) : throw new ArgumentException("Give a Scenario or a ScenarioPath."));
        var sw = Stopwatch.StartNew();
        var state = new SimulatorState(scenario, options.Clock, options.TokenDirectory, options.Delay);
        var loadTime = sw.Elapsed;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (options.Logging) builder.Logging.AddSimpleConsole();
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();

        var apple = new AppleApi(state);
        var control = new ControlApi(state);
        var metadata = new Metadata(state);
        app.Run(ctx => Route(ctx, apple, control, metadata, state));

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            await state.Notifier.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorHost(app, state, address.TrimEnd('/').Replace("://localhost:", "://127.0.0.1:").Replace("://[::]:", "://127.0.0.1:"), loadTime);
    }

    private static Task Route(HttpContext ctx, AppleApi apple, ControlApi control, Metadata metadata, SimulatorState state)
    {
        var path = ctx.Request.Path.Value ?? "/";
        if (path.StartsWith("/mdm/v2/", StringComparison.Ordinal)) return apple.HandleAsync(ctx, path["/mdm/v2/".Length..].TrimEnd('/'));
        if (path.StartsWith("/_sim/", StringComparison.Ordinal)) return control.HandleAsync(ctx, path["/_sim/".Length..]);
        if (path == "/WebObjects/MZStorePlatform.woa/wa/lookup") return metadata.LegacyLookupAsync(ctx);
        if (path == "/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount") return AcceptInvitePageAsync(ctx, state);
        if (path.StartsWith("/v1/catalog/", StringComparison.Ordinal))
        {
            var seg = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // v1 catalog {sf} {kind}
            if (seg.Length == 4 && seg[3] is "stoken-authenticated-apps" or "stoken-authenticated-books")
                return metadata.CatalogAsync(ctx, seg[2], seg[3].EndsWith("books"));
        }
        ctx.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    /// <summary>The page behind service/config urls.invitationEmail: opening it accepts the invitation.</summary>
    private static async Task AcceptInvitePageAsync(HttpContext ctx, SimulatorState state)
    {
        var code = ctx.Request.Query["inviteCode"].ToString();
        bool ok = code.Length > 0 && state.AcceptByInviteCode(code);
        ctx.Response.StatusCode = ok ? 200 : 404;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        await ctx.Response.WriteAsync(ok
            ? "<html><body><h1>You have joined your organization's volume purchase program.</h1></body></html>"
            : "<html><body><h1>This invitation is not valid.</h1></body></html>");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_pump != null) await _pump.DisposeAsync();
        try { await _app.StopAsync(TimeSpan.FromSeconds(5) is var t ? new CancellationTokenSource(t).Token : default); } catch { }
        await _app.DisposeAsync();
        await State.Notifier.DisposeAsync();
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
