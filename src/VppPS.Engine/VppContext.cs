using VppPS.Engine.Configuration;
using VppPS.Engine.Store;

namespace VppPS.Engine;

/// <summary>
/// Everything one command needs: the session, the name of the command (for the audit
/// journal), the clock, and the observer that carries progress and verbose text back.
/// </summary>
public sealed class VppContext
{
    public VppContext(VppSession session, string command, IOperationObserver observer, IClock? clock = null)
    {
        Session = session;
        Command = command;
        Observer = observer;
        Clock = clock ?? SystemClock.Instance;
        Journal = new AuditJournal(session.Store, Clock, command);
        Choice = session.Choice;
        SettingOverrides = session.SettingOverrides;
    }

    /// <summary>
    /// The settings this command's PowerShell session overrides (Start-VppSimulator's ServiceUrl),
    /// by name; they win over the environment and the saved settings. Null: none.
    /// </summary>
    public IReadOnlyDictionary<string, string>? SettingOverrides { get; init; }

    /// <summary>The settings in effect for this command: its store's, under its session's overrides.</summary>
    public VppConfiguration Configuration => Session.Settings.Current(Choice.Source, SettingOverrides);

    /// <summary>The store as this command chose it (its Source may differ from the session's first opening).</summary>
    public StoreChoice Choice { get; init; }

    public VppSession Session { get; }
    public string Command { get; }
    public IOperationObserver Observer { get; }
    public IClock Clock { get; }
    public AuditJournal Journal { get; }
    /// <summary>The leases this command holds (a token's, while it syncs or applies its plan).</summary>
    public HeldLeases Leases { get; } = new();
    public StateStore Store => Session.Store;

    /// <summary>For tests: the HttpClient the Apple clients of this context use instead of the process-wide one.</summary>
    internal HttpClient? AppleHttp { get; init; }
}
