namespace VppPS.Simulation;

/// <summary>A simulator started by Start-VppSimulator.</summary>
public sealed class SimulatorInfo
{
    internal SimulatorInfo(Engine.Simulation.SimulatorProcess process) => Process = process;

    internal Engine.Simulation.SimulatorProcess Process { get; }
    public string Url => Process.Url;
    public string ServiceUrl => Process.ServiceUrl;
    public string Scenario => Process.Scenario;
    public int ProcessId => Process.ProcessId;
    public string TokenDirectory => Process.TokenDirectory;
    public FileInfo[] TokenFiles => Process.TokenFiles.Select(f => new FileInfo(f)).ToArray();
    public bool Running => !Process.HasExited;
}
