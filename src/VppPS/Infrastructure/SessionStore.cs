using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using VppPS.Engine;
using VppPS.Engine.Store;

namespace VppPS.Infrastructure;

/// <summary>
/// The store a PowerShell session (runspace) chose with Connect-VppStore. Kept per runspace, not
/// per process: several runbook jobs or thread jobs in one process each keep their own store.
/// A runspace that chose nothing uses what the environment and configuration say.
/// </summary>
internal static class SessionStore
{
    private static readonly ConditionalWeakTable<Runspace, StoreChoice> Choices = new();

    /// <summary>The runspace's own choice, or null. Engine work runs on other threads, so cmdlets pass the runspace they were made in.</summary>
    public static StoreChoice? ChoiceFor(Runspace? runspace) =>
        runspace is not null && Choices.TryGetValue(runspace, out var choice) ? choice : null;

    /// <summary>Records the runspace's choice (null: back to the environment and configuration).</summary>
    public static void Set(Runspace runspace, StoreChoice? choice)
    {
        Choices.Remove(runspace);
        if (choice is not null) Choices.Add(runspace, choice);
    }

    /// <summary>The engine session of the store in effect for the runspace.</summary>
    public static VppSession Current(Runspace? runspace) => VppSession.Current(ChoiceFor(runspace));
}
