using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VppPS.Engine.Simulation;

/// <summary>
/// Runs the bundled simulator of Apple's service as a child process on loopback. The child
/// watches its stdin: when this process ends (even killed), the pipe closes and the simulator
/// exits too, so no simulator outlives the pwsh that started it.
/// </summary>
public sealed partial class SimulatorProcess : IDisposable
{
    private readonly Process _process;

    private readonly bool _ownsTokenDirectory;

    private SimulatorProcess(Process process, string url, string tokenDirectory, string scenario, bool ownsTokenDirectory)
    {
        _ownsTokenDirectory = ownsTokenDirectory;
        _process = process;
        Url = url;
        TokenDirectory = tokenDirectory;
        Scenario = scenario;
    }

    public string Url { get; }
    public string ServiceUrl => Url + "/mdm/v2";
    public string TokenDirectory { get; }
    public string Scenario { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> TokenFiles =>
        Directory.Exists(TokenDirectory) ? Directory.GetFiles(TokenDirectory, "*.vpptoken").Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>Starts the simulator and waits until it listens (at most <paramref name="timeout"/>).</summary>
    public static SimulatorProcess Start(string simulatorDll, string scenario, int port, string tokenDirectory, TimeSpan timeout)
    {
        if (!File.Exists(simulatorDll))
            throw new VppException(VppErrorKind.NotFound, "VppSimulatorMissing",
                $"The simulator is not in the module ({simulatorDll}). Rebuild the module with build.ps1 Build.", simulatorDll);
        var ownsTokenDirectory = !Directory.Exists(tokenDirectory);
        Directory.CreateDirectory(tokenDirectory);
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { simulatorDll, "--scenario", scenario, "--urls", $"http://127.0.0.1:{port}", "--token-dir", tokenDirectory, "--exit-on-stdin-close" })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new VppException(VppErrorKind.Unexpected, "VppSimulatorNotStarted", "The simulator process did not start.");
        var errors = process.StandardError.ReadToEndAsync();
        var firstLine = process.StandardOutput.ReadLineAsync();
        if (!firstLine.Wait(timeout) || firstLine.Result is not { } line || ListeningLine().Match(line) is not { Success: true } match)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit(5000);
            var said = errors.Wait(TimeSpan.FromSeconds(2)) ? errors.Result.Trim() : "";
            process.Dispose();
            throw new VppException(VppErrorKind.ServiceUnavailable, "VppSimulatorNotStarted",
                $"The simulator did not start{(said.Length > 0 ? ": " + said : " in time")}. Check the -Scenario and that port {port} is free.", scenario);
        }
        // Keep draining its output so that the child never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        return new SimulatorProcess(process, match.Groups[1].Value.TrimEnd('/'), tokenDirectory, scenario, ownsTokenDirectory);
    }

    public void Stop()
    {
        if (_process.HasExited) return;
        try
        {
            _process.StandardInput.Close(); // the simulator's cue to stop cleanly
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
    }

    /// <summary>Stops the simulator and removes the token folder if it made it.</summary>
    public void Dispose()
    {
        Stop();
        _process.Dispose();
        if (_ownsTokenDirectory)
            try { Directory.Delete(TokenDirectory, recursive: true); } catch (IOException) { }
    }

    /// <summary>The dotnet host that runs this process, else the one on PATH.</summary>
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return current;
        foreach (var root in new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT"), Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } h ? Path.GetDirectoryName(h) : null })
        {
            if (root is null) continue;
            var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return "dotnet";
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();
}
