using System.Collections.Concurrent;

namespace VppPS.Engine.Tests.Apple;

internal sealed class RecordingObserver : IOperationObserver
{
    public ConcurrentQueue<string> VerboseLines { get; } = new();
    public ConcurrentQueue<(int Id, string Activity, string Status, int Percent, bool Completed)> ProgressRecords { get; } = new();

    public void Verbose(string message) => VerboseLines.Enqueue(message);
    public void Warning(string message) => VerboseLines.Enqueue("WARNING: " + message);
    public void Progress(int activityId, string activity, string status, int percent, bool completed = false) =>
        ProgressRecords.Enqueue((activityId, activity, status, percent, completed));
    public bool ShouldProcess(string target, string action) => true;
}
