using System.Management.Automation;
using System.Management.Automation.Runspaces;
using VppPS.Engine;
using VppPS.Engine.Store;

namespace VppPS.Infrastructure;

/// <summary>
/// The plumbing every VppPS cmdlet shares: the engine context for this command, running
/// engine work while pumping its progress and verbose text, Ctrl+C, and one way of turning
/// engine errors into PowerShell errors (per item unless nothing else can proceed).
/// Parameters of VppPS cmdlets use only .NET, PowerShell and VppPS.dll types: PowerShell
/// reflects on them while importing, before the engine's load context is in place.
/// </summary>
public abstract class VppCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The PowerShell session this command runs in (its store choice, Connect-VppStore; its setting overrides, Start-VppSimulator); captured here, on the pipeline thread.</summary>
    protected Runspace? SessionRunspace { get; } = Runspace.DefaultRunspace;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancelToken => _stopping.Token;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>
    /// Whether this command changes the store: every command with -WhatIf does, unless it says
    /// otherwise, but for Get-*, Test-* and Export-* (a report writes a file, never the store), which
    /// a login that may only read runs.
    /// </summary>
    protected virtual bool ChangesState =>
        GetType().GetCustomAttributes(typeof(CmdletAttribute), inherit: true).OfType<CmdletAttribute>()
            .Any(a => a.SupportsShouldProcess && a.VerbName is not (VerbsCommon.Get or VerbsDiagnostic.Test or VerbsData.Export));

    /// <summary>
    /// A command that changes the store, on a store this login may only read, is refused here,
    /// before it asks anything (-WhatIf, -Confirm): a reader never sees "What if:" for a change
    /// it may not make. A store that cannot be opened is left for the command's own run to report.
    /// Commands that override this call it first.
    /// </summary>
    protected override void BeginProcessing()
    {
        if (!ChangesState) return;
        VppException? refusal = null;
        try
        {
            var choice = StoreChoice.Resolve(SessionStore.ChoiceFor(SessionRunspace));
            // Only a PostgreSQL login may be read-only: a SQLite store is not opened before the command needs it.
            if (choice.Location.Kind == StoreKind.PostgreSql) VppSession.Current(choice).Store.EnsureWritable();
        }
        catch (VppException e) when (e.ErrorId == StateStore.ReadOnlyErrorId)
        {
            refusal = e;
        }
        catch (Exception e) when (StateStore.Explain(e) is not null)
        {
        }
        if (refusal is not null) ThrowTerminatingError(ErrorMapper.ToErrorRecord(refusal));
    }

    /// <summary>
    /// Runs engine work for one pipeline item. Returns false (after writing the error) when it
    /// failed with a per-item problem; stops the command when nothing else can proceed. What
    /// opening the data folder found (a folder other users could read) is shown as warnings.
    /// </summary>
    protected bool TryRun<T>(Func<VppContext, T> work, out T result, object? target = null)
    {
        var sessionChoice = SessionStore.ChoiceFor(SessionRunspace);
        var overrides = SessionSettings.For(SessionRunspace);
        return TryRunEngine(observer =>
        {
            var choice = StoreChoice.Resolve(sessionChoice);
            var session = VppSession.Current(choice);
            foreach (var warning in session.TakeWarnings()) observer.Warning(warning);
            // A login that may only read: refused before anything is read, written or sent to Apple.
            if (ChangesState) session.Store.EnsureWritable();
            return work(new VppContext(session, MyInvocation.MyCommand.Name, observer) { Choice = choice, SettingOverrides = overrides });
        }, out result, target);
    }

    /// <summary>
    /// Runs engine work that opens no session (Test-VppDatabase examines a database that may be
    /// too damaged to open), with the same error handling as <see cref="TryRun{T}(Func{VppContext, T}, out T, object?)"/>.
    /// </summary>
    protected bool TryRunEngine<T>(Func<IOperationObserver, T> work, out T result, object? target = null)
    {
        result = default!;
        using var observer = new PipelineObserver(this);
        try
        {
            result = observer.Run(() => work(observer));
            return true;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        // A SQLite failure that escaped the engine's own translation is still told as VppPS's.
        catch (Exception e) when (StateStore.Explain(e) is { } error)
        {
            var record = ErrorMapper.ToErrorRecord(error, target);
            if (ErrorMapper.IsTerminating(error)) ThrowTerminatingError(record);
            WriteError(record);
            return false;
        }
    }

    protected bool TryRun(Action<VppContext> work, object? target = null) =>
        TryRun(c => { work(c); return true; }, out _, target);

    /// <summary>Runs engine work and writes what it returns, one object at a time.</summary>
    protected void RunAndWrite<T>(Func<VppContext, IEnumerable<T>> work, object? target = null)
    {
        if (TryRun(c => work(c).ToList(), out var items, target))
            foreach (var item in items) WriteObject(item);
    }

    /// <summary>Writes each engine error as a per-item error (names that match nothing and the like); true when there was one.</summary>
    protected bool WriteErrors(IEnumerable<VppException> errors)
    {
        var any = false;
        foreach (var e in errors)
        {
            WriteError(ErrorMapper.ToErrorRecord(e));
            any = true;
        }
        return any;
    }

    /// <summary>The Ids of VppPS objects piped in (tokens, groups); null when none.</summary>
    protected static Guid[]? IdsOf(object[]? items) =>
        items is null || items.Length == 0 ? null : items.Select(i => PipelineObjectAttribute.IdOf(PSObject.AsPSObject(i))).OfType<Guid>().ToArray();

    /// <summary>
    /// For a listing that wrote nothing: warns when that is because no token has been synced yet
    /// (or none was added), so that an empty state is not read as an empty answer.
    /// </summary>
    protected void WarnWhenNothingSynced()
    {
        if (TryRun(c => new Engine.Tokens.TokenService(c).List(), out var tokens) && tokens.All(t => t.LastSyncDateTime is null))
            WriteWarning(tokens.Count == 0
                ? "There is nothing to list: no token has been added yet. Add one with Add-VppToken, then run Sync-VppToken -All."
                : "There is nothing to list: no token has been synced yet. Run Sync-VppToken -All.");
    }

    /// <summary>A per-item error raised by the cmdlet itself (bad parameter combination and the like).</summary>
    protected void WriteVppError(VppErrorKind kind, string errorId, string message, object? target = null) =>
        WriteError(ErrorMapper.ToErrorRecord(new VppException(kind, errorId, message, target), target));

    protected void ThrowVppError(VppErrorKind kind, string errorId, string message, object? target = null) =>
        ThrowTerminatingError(ErrorMapper.ToErrorRecord(new VppException(kind, errorId, message, target), target));
}
