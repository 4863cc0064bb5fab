using VppPS.Engine.Simulation;
using VppPS.Engine.Sync;

namespace VppPS.Engine.Tests;

/// <summary>
/// Where processes cannot be started, Start-VppSimulator and Register-VppSyncSchedule say so
/// before they look for the ASP.NET Core runtime or a pwsh (which could not be run there either).
/// </summary>
public class ProcessSupportTests
{
    private const string ProgramFiles = @"C:\Program Files";

    private static ProcessSupport Probe(bool platformCanStart = true, bool isWindows = true, string? sandboxId = null, params string[] folders) =>
        new(platformCanStart, isWindows,
            name => name == ProcessSupport.AutomationSandboxVariable ? sandboxId : null,
            folder => folders.Contains(folder),
            ProgramFiles);

    [Fact]
    public void Azure_Automation_cloud_sandbox_and_platforms_without_processes_cannot_start_them()
    {
        Assert.Null(Probe().Problem());
        Assert.Null(Probe(isWindows: false).Problem());
        Assert.Contains(".NET cannot start programs on this platform", Probe(platformCanStart: false).Problem());
        Assert.Contains("Azure Automation cloud sandbox", Probe(sandboxId: "5f1c0a2e-1d7e-4c47-9d8a-0d5a9b0c1e11").Problem());
        // A Hybrid Runbook Worker is the customer's own machine: its jobs have the variable too, and may start programs.
        Assert.Null(Probe(sandboxId: "5f1c", folders: @"C:\Packages\Plugins\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows").Problem());
        Assert.Null(Probe(sandboxId: "5f1c", folders: Path.Combine(ProgramFiles, "Microsoft Monitoring Agent", "Agent", "AzureAutomation")).Problem());
        Assert.Null(Probe(isWindows: false, sandboxId: "5f1c").Problem());
    }

    [Fact]
    public void Start_VppSimulator_says_the_host_cannot_start_processes_before_looking_for_the_runtime()
    {
        using var folder = new TempFolder();
        var tokens = Path.Combine(folder.Path, "tokens");
        // No simulator and no dotnet here: the first thing said is that no process can be started at all.
        var e = Assert.Throws<VppException>(() => SimulatorProcess.Start(Path.Combine(folder.Path, "missing", "VppPS.Simulator.dll"), "Demo", 0, tokens,
            TimeSpan.FromSeconds(5), Probe(sandboxId: "5f1c")));
        Assert.Equal("VppCannotStartProcesses", e.ErrorId);
        Assert.StartsWith("This host cannot start processes: it is an Azure Automation cloud sandbox", e.Message);
        Assert.Contains("Hybrid Runbook Worker", e.Message);
        Assert.DoesNotContain("ASP.NET", e.Message);
        Assert.False(Directory.Exists(tokens));
    }

    [Fact]
    public void Register_VppSyncSchedule_says_the_host_cannot_start_processes_before_looking_for_pwsh()
    {
        using var folder = new TempFolder();
        var context = new VppContext(VppSession.ForFolder(Path.Combine(folder.Path, "state")), "xunit", NullObserver.Instance);
        var missingPwsh = Path.Combine(folder.Path, "no-pwsh", "pwsh");
        var e = Assert.Throws<VppException>(() => new SyncSchedule(context, SyncSchedulePlatform.TaskScheduler, Probe(sandboxId: "5f1c"))
            .Request(null, null, Path.Combine(folder.Path, "VppPS.psd1"), missingPwsh, null, ""));
        Assert.Equal("VppCannotStartProcesses", e.ErrorId);
        Assert.StartsWith("This host cannot start processes: it is an Azure Automation cloud sandbox", e.Message);
        Assert.Contains("Azure Automation schedule", e.Message);
        // Where processes can be started, the same request goes on to find that pwsh is missing.
        var other = Assert.Throws<VppException>(() => new SyncSchedule(context, SyncSchedulePlatform.TaskScheduler, Probe())
            .Request(null, null, Path.Combine(folder.Path, "VppPS.psd1"), missingPwsh, null, ""));
        Assert.Equal("VppPwshNotFound", other.ErrorId);
    }
}
