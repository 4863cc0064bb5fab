using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using VppPS.Engine.Store;

namespace VppPS.Infrastructure;

/// <summary>
/// The store each PowerShell session (runspace) chose with Connect-VppStore. Kept per runspace,
/// not per process: Azure Automation may run several jobs in one process, each in a runspace of
/// its own. A runspace that chose nothing uses what the environment and configuration say.
/// </summary>
internal static class SessionStore
{
    private static readonly ConditionalWeakTable<Runspace, StoreChoice> Choices = new();

    public static StoreChoice? Current => Runspace.DefaultRunspace is { } runspace && Choices.TryGetValue(runspace, out var choice) ? choice : null;

    public static void Set(StoreChoice? choice)
    {
        var runspace = Runspace.DefaultRunspace ?? throw new InvalidOperationException("no runspace");
        Choices.Remove(runspace);
        if (choice is not null) Choices.Add(runspace, choice);
    }
}
