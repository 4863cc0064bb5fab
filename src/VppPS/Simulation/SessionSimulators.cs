using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace VppPS.Simulation;

/// <summary>
/// The simulators each PowerShell session (runspace) started, so that Stop-VppSimulator in one
/// runbook job or thread job stops its own and not another's. A runspace that closes stops its
/// simulators; when the process ends, every simulator it started ends too (see SimulatorProcess).
/// </summary>
internal static class SessionSimulators
{
    private static readonly ConditionalWeakTable<Runspace, List<SimulatorInfo>> Started = new();
    private static readonly object Gate = new();

    public static void Add(Runspace runspace, SimulatorInfo simulator)
    {
        List<SimulatorInfo> list;
        lock (Gate)
        {
            if (!Started.TryGetValue(runspace, out list!))
            {
                list = [];
                Started.Add(runspace, list);
                runspace.StateChanged += StopWhenClosed;
            }
        }
        lock (list) list.Add(simulator);
    }

    /// <summary>The simulators <paramref name="runspace"/> started and has not stopped.</summary>
    public static SimulatorInfo[] Of(Runspace runspace)
    {
        if (!Started.TryGetValue(runspace, out var list)) return [];
        lock (list) return list.ToArray();
    }

    public static void Remove(Runspace runspace, SimulatorInfo simulator)
    {
        if (!Started.TryGetValue(runspace, out var list)) return;
        lock (list) list.Remove(simulator);
    }

    private static void StopWhenClosed(object? sender, RunspaceStateEventArgs e)
    {
        if (sender is not Runspace runspace || e.RunspaceStateInfo.State is not (RunspaceState.Closed or RunspaceState.Broken)) return;
        foreach (var simulator in Of(runspace))
        {
            simulator.Process.Dispose();
            Remove(runspace, simulator);
        }
    }
}
