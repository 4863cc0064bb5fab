namespace VppPS.Engine;

/// <summary>
/// How the engine tells its caller what it is doing, without knowing PowerShell: the cmdlets
/// implement it over WriteVerbose / WriteProgress / WriteWarning; tests and tools use
/// <see cref="NullObserver"/> or their own. Implementations must be thread-safe for
/// <see cref="Verbose"/>, which parallel requests call.
/// </summary>
public interface IOperationObserver
{
    void Verbose(string message);
    void Warning(string message);
    /// <summary>Progress of a long operation; percent -1 when unknown; completed ends the bar.</summary>
    void Progress(int activityId, string activity, string status, int percent, bool completed = false);
    /// <summary>Asks whether a change may go ahead (ShouldProcess); false skips it.</summary>
    bool ShouldProcess(string target, string action);
}

public sealed class NullObserver : IOperationObserver
{
    public static readonly NullObserver Instance = new();
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public void Progress(int activityId, string activity, string status, int percent, bool completed = false) { }
    public bool ShouldProcess(string target, string action) => true;
}
