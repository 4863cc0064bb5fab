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

    /// <summary>Whether this command changes the store (every command with -WhatIf does, unless it says otherwise).</summary>
    protected virtual bool ChangesState =>
        GetType().GetCustomAttributes(typeof(CmdletAttribute), inherit: true).OfType<CmdletAttribute>().Any(a => a.SupportsShouldProcess);

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

    /// <summary>A per-item error raised by the cmdlet itself (bad parameter combination and the like).</summary>
    protected void WriteVppError(VppErrorKind kind, string errorId, string message, object? target = null) =>
        WriteError(ErrorMapper.ToErrorRecord(new VppException(kind, errorId, message, target), target));

    protected void ThrowVppError(VppErrorKind kind, string errorId, string message, object? target = null) =>
        ThrowTerminatingError(ErrorMapper.ToErrorRecord(new VppException(kind, errorId, message, target), target));
}
