using System.Collections.Concurrent;
using System.Management.Automation;
using VppPS.Engine;

namespace VppPS.Infrastructure;

/// <summary>
/// Carries the engine's progress, verbose text, warnings and ShouldProcess questions to the
/// pipeline thread. The engine may call it from any thread (parallel requests to Apple);
/// PowerShell only allows Write* from the cmdlet's own thread, so calls are queued and the
/// cmdlet pumps them while the engine works.
/// </summary>
internal sealed class PipelineObserver : IOperationObserver, IDisposable
{
    private readonly BlockingCollection<Action<Cmdlet>> _queue = new();
    private readonly int _ownerThread = Environment.CurrentManagedThreadId;
    private readonly Cmdlet _cmdlet;

    public PipelineObserver(Cmdlet cmdlet) => _cmdlet = cmdlet;

    public void Verbose(string message) => Post(c => c.WriteVerbose(message));

    public void Warning(string message) => Post(c => c.WriteWarning(message));

    // A progress bar redrawn more often than a person can read costs the pipeline thread for
    // nothing (a sync reports every page): updates closer than this are dropped.
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);
    private readonly Dictionary<int, long> _lastProgress = [];

    public void Progress(int activityId, string activity, string status, int percent, bool completed = false)
    {
        lock (_lastProgress)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (!completed && _lastProgress.TryGetValue(activityId, out var last) && System.Diagnostics.Stopwatch.GetElapsedTime(last, now) < ProgressInterval)
                return;
            _lastProgress[activityId] = now;
        }
        PostProgress(activityId, activity, status, percent, completed);
    }

    private void PostProgress(int activityId, string activity, string status, int percent, bool completed) => Post(c =>
    {
        var record = new ProgressRecord(activityId, activity, string.IsNullOrEmpty(status) ? activity : status)
        {
            PercentComplete = Math.Clamp(percent, -1, 100),
            RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        c.WriteProgress(record);
    });

    public bool ShouldProcess(string target, string action)
    {
        if (Environment.CurrentManagedThreadId == _ownerThread) return _cmdlet.ShouldProcess(target, action);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(c =>
        {
            try { answer.SetResult(c.ShouldProcess(target, action)); }
            catch (Exception e) { answer.SetException(e); }
        });
        return answer.Task.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread and pumps its messages here until it ends.</summary>
    public T Run<T>(Func<T> work)
    {
        var task = Task.Run(() =>
        {
            try { return work(); }
            finally { _queue.CompleteAdding(); }
        });
        foreach (var action in _queue.GetConsumingEnumerable())
            action(_cmdlet);
        return task.GetAwaiter().GetResult();
    }

    private void Post(Action<Cmdlet> action)
    {
        if (Environment.CurrentManagedThreadId == _ownerThread) { action(_cmdlet); return; }
        try { _queue.Add(action); }
        catch (InvalidOperationException) { /* the work already ended; nothing left to show */ }
    }

    public void Dispose() => _queue.Dispose();
}
