using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VppPS.Engine.Sync;

/// <summary>
/// The pwsh a scheduled sync runs and the module it imports, chosen so that the entry keeps
/// working when a clone moves or is rebuilt: a PowerShell installation (not the pwsh dotnet tool
/// in a NuGet cache, nor a dotnet tool shim), and VppPS by name when the scheduled pwsh finds the
/// imported copy by name, else the path of the imported manifest. Also says, for an entry read
/// back, what it points at that no longer exists.
/// </summary>
public static partial class ScheduledPowerShell
{
    public const string ModuleName = "VppPS";

    private static readonly Version Minimum = new(7, 4);

    private static string PwshFileName => OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh";

    /// <summary>
    /// The pwsh to schedule: <paramref name="given"/> when set (it must exist), else the running
    /// pwsh when it is a PowerShell installation, else the first installation on PATH or in
    /// PowerShell's usual install folders. Refuses with what to do when there is none.
    /// </summary>
    public static string FindPwsh(string? given, string? processPath, string? pathVariable, IEnumerable<string>? usualPlaces = null)
    {
        if (given is not null)
        {
            SyncCommand.CheckPath(given, "pwsh path");
            var full = Path.GetFullPath(given);
            if (!File.Exists(full))
                throw new VppException(VppErrorKind.NotFound, "VppPwshNotFound",
                    $"There is no file '{full}'. Give -PwshPath the path of pwsh (PowerShell {Minimum} or later).", given);
            return full;
        }
        if (processPath is not null && Path.GetFileName(processPath).Equals(PwshFileName, StringComparison.OrdinalIgnoreCase)
            && InstallationProblem(processPath) is null)
            return processPath;
        var candidates = (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder.Trim('"'), PwshFileName))
            .Concat(usualPlaces ?? UsualPlaces());
        var rejected = new List<string>();
        foreach (var candidate in candidates.Distinct())
        {
            if (!File.Exists(candidate)) continue;
            if (InstallationProblem(candidate) is not { } why) return Path.GetFullPath(candidate);
            rejected.Add($"{candidate} ({why})");
        }
        var running = processPath is null ? "another program" : $"'{processPath}'";
        var seen = rejected.Count == 0 ? "No pwsh was found on PATH or in its usual install folders." : $"Passed over: {string.Join("; ", rejected)}.";
        throw new VppException(VppErrorKind.NotFound, "VppPwshNotFound",
            $"The scheduled sync needs a pwsh that exists on its own, and this PowerShell runs as {running} (the pwsh dotnet tool, " +
            "a dotnet tool shim or another program hosting PowerShell), which a schedule cannot rely on. " + seen +
            $" Install PowerShell {Minimum} or later (https://aka.ms/install-powershell), or pass -PwshPath with the pwsh to run.", processPath);
    }

    /// <summary>Where PowerShell's installers put pwsh.</summary>
    public static IEnumerable<string> UsualPlaces()
    {
        if (OperatingSystem.IsWindows())
        {
            var programFiles = Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles);
            return [Path.Combine(programFiles, "PowerShell", "7", "pwsh.exe")];
        }
        return ["/usr/bin/pwsh", "/usr/local/bin/pwsh", "/opt/microsoft/powershell/7/pwsh", "/opt/homebrew/bin/pwsh", "/snap/bin/pwsh"];
    }

    /// <summary>
    /// Null when <paramref name="pwsh"/> (after following links) is the pwsh of a PowerShell
    /// installation: pwsh.dll and System.Management.Automation.dll beside it, not inside a dotnet
    /// tool package (a DotnetToolSettings.xml above it), version 7.4 or later when it can be read.
    /// Otherwise why not.
    /// </summary>
    public static string? InstallationProblem(string pwsh)
    {
        string target;
        try { target = File.ResolveLinkTarget(pwsh, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(pwsh); }
        catch (IOException) { return "a link that leads nowhere"; }
        var folder = Path.GetDirectoryName(target)!;
        var automation = Path.Combine(folder, "System.Management.Automation.dll");
        if (!File.Exists(Path.Combine(folder, "pwsh.dll")) || !File.Exists(automation)) return "not a PowerShell installation: no pwsh.dll beside it";
        for (var up = new DirectoryInfo(folder); up is not null && up.FullName.Length > 1; up = up.Parent)
            if (File.Exists(Path.Combine(up.FullName, "DotnetToolSettings.xml"))) return "the pwsh dotnet tool";
        var info = FileVersionInfo.GetVersionInfo(automation);
        if (info.FileMajorPart > 0 && new Version(info.FileMajorPart, info.FileMinorPart) < Minimum)
            return $"PowerShell {info.FileMajorPart}.{info.FileMinorPart}, older than {Minimum}";
        return null;
    }

    /// <summary>
    /// The module folders a pwsh started by the scheduler searches by default: the user's and
    /// the machine's PowerShell module folders, the pwsh's own Modules folder, and on Windows the
    /// PSModulePath saved for the user and the machine. Environment changes made in this session
    /// (PSModulePath, XDG_DATA_HOME) are not seen by the scheduler and are left out.
    /// </summary>
    public static IReadOnlyList<string> ModuleFolders(string pwshPath)
    {
        var folders = new List<string>();
        if (OperatingSystem.IsWindows())
        {
            folders.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.MyDocuments), "PowerShell", "Modules"));
            folders.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "PowerShell", "Modules"));
            foreach (var target in new[] { EnvironmentVariableTarget.User, EnvironmentVariableTarget.Machine })
                folders.AddRange((Environment.GetEnvironmentVariable("PSModulePath", target) ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries));
        }
        else
        {
            folders.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "powershell", "Modules"));
            folders.Add("/usr/local/share/powershell/Modules");
        }
        string pwshFolder;
        try { pwshFolder = Path.GetDirectoryName(File.ResolveLinkTarget(pwshPath, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(pwshPath))!; }
        catch (IOException) { pwshFolder = Path.GetDirectoryName(Path.GetFullPath(pwshPath))!; }
        folders.Add(Path.Combine(pwshFolder, "Modules"));
        return folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(Environment.ExpandEnvironmentVariables(f.Trim('"'))))).Distinct().ToList();
    }

    /// <summary>
    /// What the scheduled script imports: "VppPS" when <paramref name="manifestPath"/> is
    /// VppPS/VppPS.psd1 or VppPS/&lt;version&gt;/VppPS.psd1 in one of <paramref name="moduleFolders"/>
    /// (the scheduled pwsh finds it by name, and a newer version installed later), else the
    /// manifest's full path, which must exist.
    /// </summary>
    public static string ModuleReference(string manifestPath, IReadOnlyList<string> moduleFolders)
    {
        SyncCommand.CheckPath(manifestPath, "module path");
        var full = Path.GetFullPath(manifestPath);
        if (!File.Exists(full))
            throw new VppException(VppErrorKind.NotFound, "VppModuleNotFound",
                $"The module file '{full}' that this session imported is gone. Import VppPS again and register the schedule again.", full);
        var folder = new DirectoryInfo(Path.GetDirectoryName(full)!);
        var moduleRoot = folder.Name.Equals(ModuleName, PathComparison) ? folder
            : Version.TryParse(folder.Name, out _) && folder.Parent?.Name.Equals(ModuleName, PathComparison) == true ? folder.Parent : null;
        if (moduleRoot?.Parent is { } parent && Path.GetFileName(full).Equals(ModuleName + ".psd1", PathComparison)
            && moduleFolders.Any(f => string.Equals(Path.TrimEndingDirectorySeparator(f), Path.TrimEndingDirectorySeparator(parent.FullName), PathComparison)))
            return ModuleName;
        return full;
    }

    /// <summary>Whether <paramref name="reference"/> imports by name (else it is a path).</summary>
    public static bool IsByName(string reference) => reference.Equals(ModuleName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What an entry running <paramref name="program"/> and importing <paramref name="module"/>
    /// points at that no longer exists, with what to do; null when both are there.
    /// </summary>
    public static string? Problem(string? program, string? module)
    {
        if (program is null || module is null)
            return "The entry was edited into a form VppPS does not read. Run Register-VppSyncSchedule again.";
        if (!File.Exists(program))
            return $"The pwsh it runs ({program}) no longer exists. Run Register-VppSyncSchedule again (with -PwshPath if this PowerShell is not installed).";
        if (Path.GetFileNameWithoutExtension(program).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return $"It runs PowerShell through the dotnet host ({program}), which breaks when the pwsh dotnet tool or its NuGet cache changes. Run Register-VppSyncSchedule again from an installed pwsh, or with -PwshPath.";
        if (IsByName(module))
        {
            var folders = ModuleFolders(program);
            if (!folders.Any(f => File.Exists(Path.Combine(f, ModuleName, ModuleName + ".psd1"))
                                  || (Directory.Exists(Path.Combine(f, ModuleName)) && Directory.EnumerateFiles(Path.Combine(f, ModuleName), ModuleName + ".psd1", SearchOption.AllDirectories).Any())))
                return $"It imports VppPS by name, and VppPS is no longer installed where that pwsh looks ({string.Join(", ", folders)}). Install it again (Install-PSResource VppPS) or run Register-VppSyncSchedule again.";
            return null;
        }
        if (!File.Exists(module))
            return $"The module it imports ({module}) no longer exists (moved or removed). Import VppPS from where it is now and run Register-VppSyncSchedule again.";
        return null;
    }

    /// <summary>The module that a scheduled script imports: the word after Import-Module, unquoted; null when there is none.</summary>
    public static string? ImportedModule(string script)
    {
        var match = ImportModule().Match(script);
        if (!match.Success) return null;
        var word = match.Groups[1].Value;
        return word.StartsWith('\'') && word.EndsWith('\'') && word.Length >= 2 ? word[1..^1].Replace("''", "'", StringComparison.Ordinal) : word;
    }

    private static StringComparison PathComparison => OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    [GeneratedRegex(@"Import-Module\s+('(?:[^']|'')*'|[^\s;'}]+)")]
    private static partial Regex ImportModule();
}
