using System.Management.Automation;
using VppPS.Engine.Configuration;
using VppPS.Infrastructure;

namespace VppPS.Simulation;

/// <summary>Stops the simulators started in this PowerShell session (all of them, or those piped in) and restores its service URL.</summary>
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
        var runspace = SessionRunspace!;
        foreach (var simulator in InputObject ?? SessionSimulators.Of(runspace))
        {
            if (!ShouldProcess($"{simulator.Url} (process {simulator.ProcessId})", "Stop the simulator")) continue;
            simulator.Process.Dispose();
            SessionSimulators.Remove(runspace, simulator);
            if (SessionSettings.Get(runspace, SettingsCatalog.ServiceUrl.Name) == simulator.ServiceUrl)
            {
                SessionSettings.Remove(runspace, SettingsCatalog.ServiceUrl.Name);
                SessionSettings.Remove(runspace, SettingsCatalog.MetadataServiceUrl.Name);
            }
        }
    }
}
