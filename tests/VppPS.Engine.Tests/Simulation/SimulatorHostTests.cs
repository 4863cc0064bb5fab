using VppPS.Engine.Simulation;

namespace VppPS.Engine.Tests.Simulation;

/// <summary>Start-VppSimulator finds a dotnet host with the ASP.NET Core runtime, or says what to install.</summary>
public class SimulatorHostTests
{
    private static readonly string Exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

    /// <summary>A dotnet root with the host and the given shared runtimes (such as "Microsoft.AspNetCore.App/8.0.11").</summary>
    private static string DotnetRoot(string root, params string[] runtimes)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, Exe), "");
        foreach (var runtime in runtimes) Directory.CreateDirectory(Path.Combine(root, "shared", runtime));
        return Path.Combine(root, Exe);
    }

    [Fact]
    public void A_host_without_ASP_NET_Core_is_passed_over_for_one_with_it()
    {
        using var folder = new TempFolder();
        var bare = DotnetRoot(Path.Combine(folder.Path, "bare"), "Microsoft.NETCore.App/8.0.11");
        var old = DotnetRoot(Path.Combine(folder.Path, "old"), "Microsoft.NETCore.App/6.0.36", "Microsoft.AspNetCore.App/6.0.36");
        var full = DotnetRoot(Path.Combine(folder.Path, "full"), "Microsoft.NETCore.App/10.0.2", "Microsoft.AspNetCore.App/10.0.2");
        var path = string.Join(Path.PathSeparator, Path.GetDirectoryName(old), Path.GetDirectoryName(full));
        Assert.Equal(full, SimulatorProcess.FindHost(bare, null, null, path, []));
        Assert.Equal(full, SimulatorProcess.FindHost("/opt/microsoft/powershell/7/pwsh", Path.GetDirectoryName(full), null, "", []));
    }

    [Fact]
    public void Without_the_runtime_the_error_says_what_to_install()
    {
        using var folder = new TempFolder();
        var bare = DotnetRoot(Path.Combine(folder.Path, "bare"), "Microsoft.NETCore.App/8.0.11");
        var e = Assert.Throws<VppException>(() => SimulatorProcess.FindHost("/opt/microsoft/powershell/7/pwsh", null, null, Path.GetDirectoryName(bare), []));
        Assert.Equal("VppSimulatorRuntimeMissing", e.ErrorId);
        Assert.Equal(VppErrorKind.NotFound, e.Kind);
        Assert.Contains($"found {bare} without it", e.Message);
        Assert.Contains("ASP.NET Core Runtime 8.0 or later", e.Message);
        Assert.Contains("https://dotnet.microsoft.com/download/dotnet", e.Message);
        Assert.Contains("aspnetcore-runtime-8.0", e.Message);
        var none = Assert.Throws<VppException>(() => SimulatorProcess.FindHost("/opt/microsoft/powershell/7/pwsh", null, null, "", [Path.Combine(folder.Path, "nothing")]));
        Assert.Contains("no dotnet host was found", none.Message);
    }

    [Fact]
    public void A_host_that_cannot_be_started_fails_at_once_with_a_clear_error_and_leaves_no_folder()
    {
        using var folder = new TempFolder();
        // A host that exists but cannot be executed: what a sandbox that forbids processes looks like to Process.Start.
        var host = DotnetRoot(Path.Combine(folder.Path, "blocked"), "Microsoft.NETCore.App/8.0.11", "Microsoft.AspNetCore.App/8.0.11");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(host, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var dll = Path.Combine(folder.Path, "VppPS.Simulator.dll");
        File.WriteAllText(dll, "");
        var tokens = Path.Combine(folder.Path, "tokens");
        var e = Assert.Throws<VppException>(() => SimulatorProcess.Start(host, dll, "Demo", 0, tokens, TimeSpan.FromSeconds(30)));
        Assert.Equal("VppSimulatorNotStarted", e.ErrorId);
        Assert.Contains("could not be started as a process", e.Message);
        Assert.Contains("Azure Automation", e.Message);
        Assert.False(Directory.Exists(tokens));
    }
}
