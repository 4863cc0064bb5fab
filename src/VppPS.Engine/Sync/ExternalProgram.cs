using System.ComponentModel;
using System.Diagnostics;

namespace VppPS.Engine.Sync;

/// <summary>Runs crontab or schtasks: arguments passed as a list (no shell), stdin written, output read, bounded in time.</summary>
internal static class ExternalProgram
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record Result(int ExitCode, string Output, string Errors);

    /// <summary>
    /// The program named by <paramref name="variable"/> (a path, or a name looked up on PATH), else
    /// <paramref name="defaultName"/> on PATH; null when it is not there.
    /// </summary>
    public static string? Locate(string variable, string defaultName, out bool fromVariable)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        fromVariable = !string.IsNullOrWhiteSpace(configured);
        var name = fromVariable ? configured!.Trim() : defaultName;
        if (name.Contains(Path.DirectorySeparatorChar) || name.Contains(Path.AltDirectorySeparatorChar))
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        var extensions = OperatingSystem.IsWindows() && !Path.HasExtension(name) ? new[] { ".exe", ".cmd", ".bat" } : [""];
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder.Trim('"'), name + extension);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    public static Result Run(string program, IEnumerable<string> arguments, string? input = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception($"{program} did not start.");
        }
        catch (Exception e) when (e is Win32Exception or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            throw new VppException(VppErrorKind.Unexpected, "VppSchedulerNotStarted",
                $"{program} could not be started: {e.Message}. Where programs cannot be started (an Azure Automation cloud sandbox, for one), " +
                "schedule Sync-VppToken -All with that platform's own scheduler instead.", program, e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            try
            {
                if (input is not null) process.StandardInput.Write(input);
                process.StandardInput.Close();
            }
            catch (IOException) { /* it ended without reading; its exit code says why */ }
            if (!process.WaitForExit(Timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new VppException(VppErrorKind.Unexpected, "VppSchedulerTimeout", $"{program} did not finish within {Timeout.TotalSeconds:0} seconds.", program);
            }
            process.WaitForExit();
            return new Result(process.ExitCode, output.GetAwaiter().GetResult(), errors.GetAwaiter().GetResult());
        }
    }
}
