namespace VppPS.Sync;

/// <summary>What the scheduled command needs from this PowerShell: the module it imported and the executable running it.</summary>
internal static class SyncScheduleHost
{
    /// <summary>VppPS.psd1 next to VppPS.dll (the laid-out or installed module), else VppPS.dll itself.</summary>
    public static string ModuleManifestPath
    {
        get
        {
            var dll = typeof(SyncScheduleHost).Assembly.Location;
            var manifest = Path.Combine(Path.GetDirectoryName(dll)!, "VppPS.psd1");
            return File.Exists(manifest) ? manifest : dll;
        }
    }

    /// <summary>The executable running now: pwsh, or dotnet for the pwsh dotnet tool, or another host.</summary>
    public static string? ProcessPath => Environment.ProcessPath;

    public static string? PathVariable => Environment.GetEnvironmentVariable("PATH");
}
