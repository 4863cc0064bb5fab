using System.Text.Json;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>Where a run is stopped, around one write to Apple.</summary>
public enum KillPoint
{
    /// <summary>Journaled, not sent: the request never reaches Apple.</summary>
    BeforeSend,
    /// <summary>Apple applied the request; its answer (the event id) is lost.</summary>
    AnswerLost,
    /// <summary>The event id is recorded; the run stops before its first look at the event.</summary>
    BeforePoll,
    /// <summary>Apple finished the event and said so; that answer is lost.</summary>
    PollAnswerLost,
}

/// <summary>How the run stops: a killed process (nothing after it runs) or Ctrl+C (cancellation).</summary>
public enum KillHow { Crash, Cancel }

/// <summary>A process that died: nothing in the engine catches it, as nothing runs after a kill.</summary>
internal sealed class SimulatedCrash() : Exception("simulated crash");

/// <summary>
/// Sits between the engine and the simulator and stops a run at one chosen step of the first
/// write to a chosen endpoint, once: the request goes to Apple (or not) exactly as the step
/// says, then the run stops, by a crash or by cancelling <see cref="Cancellation"/>. A hook
/// runs before every status poll (for a test clock).
/// </summary>
internal sealed class KillSwitch() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly object _gate = new();
    private string? _path;
    private KillPoint _point;
    private KillHow _how;
    private string? _eventId;

    public CancellationTokenSource Cancellation { get; private set; } = new();

    /// <summary>Runs before every GET status is sent.</summary>
    public Action? BeforeStatusPoll { get; set; }

    public bool Fired { get; private set; }

    /// <summary>Stops the run at <paramref name="point"/> of the next write to <paramref name="path"/> (e.g. "assets/associate").</summary>
    public void Arm(string path, KillPoint point, KillHow how = KillHow.Crash)
    {
        lock (_gate)
        {
            (_path, _point, _how, _eventId, Fired) = (path, point, how, null, false);
            Cancellation = new CancellationTokenSource();
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath.Replace("/mdm/v2/", "").TrimStart('/');
        var isWrite = request.Method == HttpMethod.Post && path == _path && _eventId is null && !Fired;
        var isPoll = path == "status" && !Fired && _eventId is not null && request.RequestUri.Query.Contains(Uri.EscapeDataString(_eventId));
        if (path == "status") BeforeStatusPoll?.Invoke();
        if (isWrite && _point == KillPoint.BeforeSend) Stop(cancellationToken);
        if (isPoll && _point == KillPoint.BeforePoll) Stop(cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (isWrite)
        {
            await response.Content.LoadIntoBufferAsync();
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (answer.RootElement.TryGetProperty("eventId", out var id)) _eventId = id.GetString();
            if (_point == KillPoint.AnswerLost) Stop(cancellationToken);
        }
        if (isPoll && _point == KillPoint.PollAnswerLost)
        {
            await response.Content.LoadIntoBufferAsync();
            // Only an answer that says the event ended is worth losing.
            if (!(await response.Content.ReadAsStringAsync(cancellationToken)).Contains("PENDING", StringComparison.Ordinal)) Stop(cancellationToken);
        }
        return response;
    }

    private void Stop(CancellationToken cancellationToken)
    {
        Fired = true;
        _path = null;
        if (_how == KillHow.Crash) throw new SimulatedCrash();
        Cancellation.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
        throw new OperationCanceledException(Cancellation.Token);
    }
}
