using System.Management.Automation;
using VppPS.Engine.Configuration;
using VppPS.Infrastructure;

namespace VppPS.Simulation;

/// <summary>Stops simulators started in this session (all of them, or those piped in) and restores the service URL.</summary>
[Cmdlet(VerbsLifecycle.Stop, "VppSimulator", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopVppSimulatorCommand : VppCmdlet
{
    /// <summary>The simulator is no part of the store: a login that may only read starts and stops one.</summary>
    protected override bool ChangesState => false;

    [Parameter(ValueFromPipeline = true)]
    public SimulatorInfo[]? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        List<SimulatorInfo> targets;
        lock (StartVppSimulatorCommand.Running) targets = (InputObject ?? StartVppSimulatorCommand.Running.ToArray()).ToList();
        foreach (var simulator in targets)
        {
            if (!ShouldProcess($"{simulator.Url} (process {simulator.ProcessId})", "Stop the simulator")) continue;
            simulator.Process.Dispose();
            lock (StartVppSimulatorCommand.Running) StartVppSimulatorCommand.Running.Remove(simulator);
            if (SettingsStore.SessionOverrides.TryGetValue(SettingsCatalog.ServiceUrl.Name, out var url) && url == simulator.ServiceUrl)
            {
                SettingsStore.SessionOverrides.TryRemove(SettingsCatalog.ServiceUrl.Name, out _);
                SettingsStore.SessionOverrides.TryRemove(SettingsCatalog.MetadataServiceUrl.Name, out _);
            }
        }
    }
}
