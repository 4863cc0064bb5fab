namespace VppPS.Engine;

/// <summary>
/// Whether this process can start other programs (the simulator, crontab, schtasks), asked
/// before anything else is looked for, so that a host that cannot start them is told so instead
/// of being told to install a runtime or a pwsh it could not run either.
/// <para>
/// What it relies on:
/// <list type="bullet">
/// <item>.NET's own platform checks: System.Diagnostics.Process cannot start programs in a browser
/// (WebAssembly), under WASI, on iOS or on tvOS.</item>
/// <item>Azure Automation sets AUTOMATION_ASSET_SANDBOX_ID (the job's sandbox id) for every job,
/// both in Azure's cloud sandbox and on a Hybrid Runbook Worker. The cloud sandbox runs on Windows
/// and is not a Hybrid Runbook Worker; a Hybrid Runbook Worker is a machine of the customer's own,
/// where programs can be started, and is recognized on Windows by the worker's installation
/// folder (the VM extension's under C:\Packages\Plugins, or the older agent's under Microsoft
/// Monitoring Agent in Program Files). A job on Linux or macOS is on a Hybrid Runbook Worker.</item>
/// </list>
/// </para>
/// </summary>
public sealed class ProcessSupport
{
    /// <summary>The variable Azure Automation sets for each job (cloud sandbox and Hybrid Runbook Worker alike).</summary>
    public const string AutomationSandboxVariable = "AUTOMATION_ASSET_SANDBOX_ID";

    private readonly bool _platformCanStart;
    private readonly bool _isWindows;
    private readonly Func<string, string?> _environment;
    private readonly Func<string, bool> _folderExists;
    private readonly string _programFiles;

    /// <param name="platformCanStart">Whether .NET can start processes on this platform at all.</param>
    /// <param name="isWindows">Whether this is Windows (the only system Azure's cloud sandbox runs).</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="folderExists">Whether a folder exists.</param>
    /// <param name="programFiles">The Program Files folder (Windows).</param>
    public ProcessSupport(bool platformCanStart, bool isWindows, Func<string, string?> environment, Func<string, bool> folderExists, string programFiles)
    {
        _platformCanStart = platformCanStart;
        _isWindows = isWindows;
        _environment = environment;
        _folderExists = folderExists;
        _programFiles = programFiles;
    }

    /// <summary>This process, as it is.</summary>
    public static ProcessSupport Current { get; } = new(
        !(OperatingSystem.IsBrowser() || OperatingSystem.IsWasi() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS()),
        OperatingSystem.IsWindows(),
        Environment.GetEnvironmentVariable,
        Directory.Exists,
        Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles));

    /// <summary>Why this process cannot start programs; null when nothing says it cannot.</summary>
    public string? Problem()
    {
        if (!_platformCanStart)
            return ".NET cannot start programs on this platform";
        if (_isWindows && !string.IsNullOrWhiteSpace(_environment(AutomationSandboxVariable)) && !OnHybridWorker())
            return $"it is an Azure Automation cloud sandbox ({AutomationSandboxVariable} is set and no Hybrid Runbook Worker is installed here)";
        return null;
    }

    /// <summary>Throws VppCannotStartProcesses, saying <paramref name="instead"/>, when this process cannot start programs.</summary>
    public void EnsureCanStart(string instead, string? target = null)
    {
        if (Problem() is { } problem)
            throw new VppException(VppErrorKind.Unexpected, "VppCannotStartProcesses", $"This host cannot start processes: {problem}. {instead}", target);
    }

    private bool OnHybridWorker() =>
        _folderExists(@"C:\Packages\Plugins\Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows")
        || _folderExists(Path.Combine(_programFiles, "Microsoft Monitoring Agent", "Agent", "AzureAutomation"));
}
