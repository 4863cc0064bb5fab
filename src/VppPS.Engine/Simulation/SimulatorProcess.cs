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
    private volatile bool _disposed;

    private SimulatorProcess(Process process, string url, string tokenDirectory, string scenario, bool ownsTokenDirectory)
    {
        _ownsTokenDirectory = ownsTokenDirectory;
        _process = process;
        ProcessId = process.Id;
        Url = url;
        TokenDirectory = tokenDirectory;
        Scenario = scenario;
    }

    public string Url { get; }
    public string ServiceUrl => Url + "/mdm/v2";
    public string TokenDirectory { get; }
    public string Scenario { get; }
    public int ProcessId { get; }
    public bool HasExited => _disposed || _process.HasExited;

    public IReadOnlyList<string> TokenFiles =>
        Directory.Exists(TokenDirectory) ? Directory.GetFiles(TokenDirectory, "*.vpptoken").Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>The oldest ASP.NET Core shared runtime the simulator (net8.0, rolling forward) runs on.</summary>
    public const int AspNetCoreMajor = 8;

    /// <summary>
    /// Starts the simulator and waits until it listens (at most <paramref name="timeout"/>). Fails at
    /// once when this host cannot start processes (asked first, <paramref name="processes"/>: this
    /// process by default), and, saying what to install, when no dotnet host with the ASP.NET Core
    /// runtime is found.
    /// </summary>
    public static SimulatorProcess Start(string simulatorDll, string scenario, int port, string tokenDirectory, TimeSpan timeout, ProcessSupport? processes = null)
    {
        (processes ?? ProcessSupport.Current).EnsureCanStart(
            "The simulator runs as a program of its own, so it cannot run here: try VppPS with it on a workstation or a Hybrid Runbook Worker.", scenario);
        if (!File.Exists(simulatorDll))
            throw new VppException(VppErrorKind.NotFound, "VppSimulatorMissing",
                $"The simulator is not in the module ({simulatorDll}). Rebuild the module with build.ps1 Build.", simulatorDll);
        var host = FindHost(Environment.ProcessPath, Environment.GetEnvironmentVariable("DOTNET_ROOT"),
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"), Environment.GetEnvironmentVariable("PATH"), UsualRoots());
        return Start(host, simulatorDll, scenario, port, tokenDirectory, timeout);
    }

    internal static SimulatorProcess Start(string host, string simulatorDll, string scenario, int port, string tokenDirectory, TimeSpan timeout)
    {
        var ownsTokenDirectory = !Directory.Exists(tokenDirectory);
        Directory.CreateDirectory(tokenDirectory);
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { simulatorDll, "--scenario", scenario, "--urls", $"http://127.0.0.1:{port}", "--token-dir", tokenDirectory, "--exit-on-stdin-close" })
            info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new VppException(VppErrorKind.Unexpected, "VppSimulatorNotStarted", "The simulator process did not start.");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            if (ownsTokenDirectory) try { Directory.Delete(tokenDirectory, recursive: true); } catch (IOException) { }
            throw new VppException(VppErrorKind.Unexpected, "VppSimulatorNotStarted",
                $"The simulator could not be started as a process ({host}: {e.Message}). Where programs cannot be started " +
                "(an Azure Automation cloud sandbox, for one), the simulator cannot run: try VppPS with it on a workstation or a Hybrid Runbook Worker.", host, e);
        }
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
        if (HasExited) return;
        try
        {
            _process.StandardInput.Close(); // the simulator's cue to stop cleanly
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
    }

    /// <summary>Stops the simulator and removes the token folder if it made it. Once is enough: later calls do nothing.</summary>
    public void Dispose()
    {
        lock (_process)
        {
            if (_disposed) return;
            Stop();
            _disposed = true;
        }
        _process.Dispose();
        if (_ownsTokenDirectory)
            try { Directory.Delete(TokenDirectory, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// The dotnet host that can run the simulator: the first of this process (when it is dotnet),
    /// DOTNET_ROOT, DOTNET_HOST_PATH, PATH and the usual install folders whose shared folder holds
    /// Microsoft.AspNetCore.App 8.0 or later. PowerShell installed on its own (MSI, pkg, packages)
    /// brings neither, so the error says what to install.
    /// </summary>
    internal static string FindHost(string? processPath, string? dotnetRoot, string? hostPath, string? pathVariable, IEnumerable<string> usualRoots)
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var candidates = new List<string>();
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) candidates.Add(processPath);
        if (!string.IsNullOrEmpty(dotnetRoot)) candidates.Add(Path.Combine(dotnetRoot, exe));
        if (!string.IsNullOrEmpty(hostPath)) candidates.Add(hostPath);
        candidates.AddRange((pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(f => Path.Combine(f.Trim('"'), exe)));
        candidates.AddRange(usualRoots.Select(r => Path.Combine(r, exe)));
        var without = new List<string>();
        foreach (var candidate in candidates.Distinct())
        {
            if (!File.Exists(candidate)) continue;
            string root;
            try { root = Path.GetDirectoryName(File.ResolveLinkTarget(candidate, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(candidate))!; }
            catch (IOException) { continue; }
            if (HasRuntime(root, "Microsoft.AspNetCore.App") && HasRuntime(root, "Microsoft.NETCore.App")) return candidate;
            without.Add(candidate);
        }
        var found = without.Count == 0 ? "no dotnet host was found" : $"found {string.Join(", ", without)} without it";
        throw new VppException(VppErrorKind.NotFound, "VppSimulatorRuntimeMissing",
            $"The simulator needs the dotnet host and the ASP.NET Core Runtime {AspNetCoreMajor}.0 or later ({found}); PowerShell installed on its own " +
            $"does not bring them. Install the ASP.NET Core Runtime {AspNetCoreMajor}.0 or later from https://dotnet.microsoft.com/download/dotnet " +
            $"(on Linux the package aspnetcore-runtime-{AspNetCoreMajor}.0, on macOS and Windows the installer; it includes the dotnet host), " +
            "or set DOTNET_ROOT to the folder it is in. VppPS itself does not need it; only the simulator does.", found);
    }

    /// <summary>Where the .NET installers put dotnet.</summary>
    internal static IEnumerable<string> UsualRoots()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsWindows())
            return [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "dotnet"), Path.Combine(home, ".dotnet")];
        return ["/usr/share/dotnet", "/usr/lib/dotnet", "/usr/local/share/dotnet", "/usr/local/lib/dotnet", "/opt/homebrew/share/dotnet", Path.Combine(home, ".dotnet")];
    }

    /// <summary>Whether <paramref name="dotnetRoot"/>/shared/<paramref name="framework"/> holds a version 8.0 or later.</summary>
    private static bool HasRuntime(string dotnetRoot, string framework)
    {
        var folder = Path.Combine(dotnetRoot, "shared", framework);
        return Directory.Exists(folder) && Directory.EnumerateDirectories(folder)
            .Any(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) && v.Major >= AspNetCoreMajor);
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();
}
