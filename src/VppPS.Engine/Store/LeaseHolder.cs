namespace VppPS.Engine.Store;

/// <summary>
/// Who holds (or asks for) a lease: an id of its own, the user, the host, the process id and
/// that process's start time (so that a process id reused after the holder ended is not
/// mistaken for it), and a sentence for people ("Sync-VppToken of 'X' by ann on host-1 (process 42)").
/// </summary>
public sealed record LeaseHolder(string Id, string User, string Host, int ProcessId, DateTimeOffset? ProcessStart, string Description)
{
    /// <summary>A new holder in this process; <paramref name="purpose"/> starts its description.</summary>
    public static LeaseHolder ThisProcess(string purpose)
    {
        var (user, host, pid) = (Environment.UserName, Environment.MachineName, Environment.ProcessId);
        return new LeaseHolder(Guid.NewGuid().ToString(), user, host, pid, ProcessIdentity.StartOf(pid), $"{purpose} by {user} on {host} (process {pid})");
    }

    /// <summary>Whether this holder runs on the host of this process (whose processes can be looked at).</summary>
    public bool OnThisHost => string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase);
}
