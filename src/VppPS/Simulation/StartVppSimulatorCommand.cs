using System.Management.Automation;
using VppPS.Engine.Configuration;
using VppPS.Engine.Simulation;
using VppPS.Infrastructure;

namespace VppPS.Simulation;

/// <summary>
/// Starts the bundled simulator of Apple's service and points this session at it, so that
/// VppPS can be tried without an Apple account. Its token files are in TokenDirectory.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "VppSimulator", SupportsShouldProcess = true)]
[OutputType(typeof(SimulatorInfo))]
public sealed class StartVppSimulatorCommand : VppCmdlet
{
    /// <summary>The simulator is no part of the store: a login that may only read starts and stops one.</summary>
    protected override bool ChangesState => false;

    /// <summary>A built-in scenario name (Demo) or the path of a scenario JSON file.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Scenario { get; set; } = "Demo";

    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    public string? TokenDirectory { get; set; }

    /// <summary>Leave the session's service URL as it is.</summary>
    [Parameter]
    public SwitchParameter NoServiceUrl { get; set; }

    protected override void EndProcessing()
    {
        var scenario = Scenario;
        if (!scenario.Equals("Demo", StringComparison.OrdinalIgnoreCase))
        {
            scenario = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Scenario);
            if (!File.Exists(scenario))
                ThrowVppError(Engine.VppErrorKind.NotFound, "VppScenarioNotFound", $"No scenario file '{scenario}'. Give a JSON scenario file (see docs/simulator.md) or the built-in name Demo.", scenario);
        }
        if (!ShouldProcess($"127.0.0.1:{(Port == 0 ? "(free port)" : Port)}", $"Start the simulator of Apple's service with scenario {Scenario}")) return;
        var tokens = TokenDirectory is null
            ? Path.Combine(Path.GetTempPath(), "vppps-simulator-" + Guid.NewGuid().ToString("N")[..8])
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(TokenDirectory);
        var dll = Path.Combine(Path.GetDirectoryName(typeof(StartVppSimulatorCommand).Assembly.Location)!, "Simulator", "VppPS.Simulator.dll");
        // No TryRun: starting a simulator needs no VppPS state, so it must not create a data folder.
        SimulatorProcess process;
        try { process = SimulatorProcess.Start(dll, scenario, Port, tokens, TimeSpan.FromSeconds(60)); }
        catch (Engine.VppException e) { ThrowTerminatingError(ErrorMapper.ToErrorRecord(e, scenario)); return; }
        var info = new SimulatorInfo(process);
        SessionSimulators.Add(SessionRunspace!, info);
        if (!NoServiceUrl)
        {
            SessionSettings.Set(SessionRunspace!, SettingsCatalog.ServiceUrl.Name, info.ServiceUrl);
            SessionSettings.Set(SessionRunspace!, SettingsCatalog.MetadataServiceUrl.Name, info.Url + "/v1");
            WriteVerbose($"This session now talks to the simulator at {info.ServiceUrl}. Stop-VppSimulator puts it back.");
        }
        WriteObject(info);
    }
}
