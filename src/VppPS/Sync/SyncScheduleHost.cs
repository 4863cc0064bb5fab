using System.Management.Automation;

namespace VppPS.Sync;

/// <summary>What the scheduled command needs from this PowerShell: the module to import and the pwsh to run.</summary>
internal static class SyncScheduleHost
{
    /// <summary>VppPS.psd1 next to VppPS.dll (the laid-out module), else VppPS.dll itself.</summary>
    public static string ModuleManifestPath
    {
        get
        {
            var dll = typeof(SyncScheduleHost).Assembly.Location;
            var manifest = Path.Combine(Path.GetDirectoryName(dll)!, "VppPS.psd1");
            return File.Exists(manifest) ? manifest : dll;
        }
    }

    /// <summary>The executable running now: pwsh, or dotnet for the pwsh dotnet tool.</summary>
    public static string HostPath => Environment.ProcessPath ?? "pwsh";

    /// <summary>The folder of System.Management.Automation, where pwsh.dll (and pwsh) live.</summary>
    public static string PowerShellDirectory => Path.GetDirectoryName(typeof(PSObject).Assembly.Location)!;
}
