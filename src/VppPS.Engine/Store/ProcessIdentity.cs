using System.ComponentModel;
using System.Diagnostics;

namespace VppPS.Engine.Store;

/// <summary>A process on this host told apart from a later one given the same id: its id and its start time.</summary>
internal static class ProcessIdentity
{
    /// <summary>
    /// How far two readings of one process's start time may differ: the operating system keeps it
    /// relative to boot, and .NET turns it into a wall-clock time with the clock of the moment.
    /// </summary>
    public static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(2);

    /// <summary>The start time of process <paramref name="pid"/> (UTC); null when there is no such process or it cannot be read.</summary>
    public static DateTimeOffset? StartOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the process <paramref name="pid"/> started at <paramref name="start"/> on this host
    /// has ended: no process has that id, it has exited, or the process with that id started at
    /// another time (the id was reused). False when that cannot be told (no start time recorded,
    /// or the process cannot be read).
    /// </summary>
    public static bool IsGone(int pid, DateTimeOffset? start)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        using (process)
        {
            try
            {
                if (process.HasExited) return true;
                if (start is null) return false;
                var actual = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
                return (actual - start.Value).Duration() > StartTolerance;
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
            {
                return false; // cannot be read (another user's process): left to the lease's expiry
            }
        }
    }
}
