using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace VppPS.Infrastructure;

/// <summary>
/// The settings a PowerShell session (runspace) overrides for itself and never saves: the
/// service URLs of a simulator started in it. Kept per runspace, like <see cref="SessionStore"/>:
/// two runbook jobs or thread jobs in one process each keep their own.
/// </summary>
internal static class SessionSettings
{
    private static readonly ConditionalWeakTable<Runspace, ConcurrentDictionary<string, string>> Overrides = new();

    /// <summary>
    /// A copy of the runspace's overrides as they are now, for engine work that runs on other
    /// threads (take it on the pipeline thread); null when the runspace has none.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? For(Runspace? runspace) =>
        runspace is not null && Overrides.TryGetValue(runspace, out var own) && !own.IsEmpty
            ? new Dictionary<string, string>(own, StringComparer.OrdinalIgnoreCase)
            : null;

    public static void Set(Runspace runspace, string name, string value) =>
        Overrides.GetValue(runspace, _ => new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase))[name] = value;

    /// <summary>The runspace's override of <paramref name="name"/>, or null.</summary>
    public static string? Get(Runspace runspace, string name) =>
        Overrides.TryGetValue(runspace, out var own) && own.TryGetValue(name, out var value) ? value : null;

    public static void Remove(Runspace runspace, string name)
    {
        if (Overrides.TryGetValue(runspace, out var own)) own.TryRemove(name, out _);
    }
}
