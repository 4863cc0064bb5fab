using System.Text;

namespace VppPS.Engine.Store;

/// <summary>
/// Where VppPS keeps its state. In order: the VPPPS_HOME environment variable (runbooks, tests),
/// a folder recorded by Set-VppConfiguration -DataFolder (a pointer file in the default folder),
/// the platform's per-user data folder (~/.local/share/VppPS, ~/Library/Application Support/VppPS,
/// %LOCALAPPDATA%\VppPS).
/// </summary>
public static class StatePaths
{
    public const string HomeVariable = "VPPPS_HOME";
    public const string DatabaseFileName = "vppps.db";
    public const string KeyFileName = "secret.key";
    private const string PointerFileName = "datafolder.txt";

    public static string DefaultFolder
    {
        get
        {
            var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(root))
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            return Path.Combine(root, "VppPS");
        }
    }

    /// <summary>The data folder in effect and where that choice came from.</summary>
    public static (string Folder, string Source) Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
            return (Path.GetFullPath(fromEnv), "Environment");
        var pointer = Path.Combine(DefaultFolder, PointerFileName);
        if (File.Exists(pointer))
        {
            var target = File.ReadAllText(pointer).Trim();
            if (target.Length > 0)
                return (Path.GetFullPath(target), "Configuration");
        }
        return (DefaultFolder, "Default");
    }

    /// <summary>Records a new data folder (null resets to the default).</summary>
    internal static void WritePointer(string? folder)
    {
        PrivateFiles.CreateFolder(DefaultFolder);
        var pointer = Path.Combine(DefaultFolder, PointerFileName);
        if (folder is null) { File.Delete(pointer); return; }
        AtomicFile.Replace(pointer, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), w => w.Write(Path.GetFullPath(folder)));
    }
}
