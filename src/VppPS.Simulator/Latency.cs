namespace VppPS.Simulator;

/// <summary>The scenario's Apple-like response latency (scenario "latency"), applied to every /mdm/v2 answer.</summary>
public sealed partial class SimulatorState
{
    private int _latencyMinMs, _latencyMaxMs;
    private Random? _latencyRng;
    private Func<TimeSpan, CancellationToken, Task> _delay = Task.Delay;
    private long _latencyResponses, _latencyTotalMs;

    private void InitLatency(ScenarioLatency? s, Func<TimeSpan, CancellationToken, Task>? delay)
    {
        if (delay != null) _delay = delay;
        if (s is null) return;
        if (s.FixedMs != null && (s.MinMs != null || s.MaxMs != null))
            throw new InvalidDataException("latency: give fixedMs, or minMs and maxMs, not both.");
        if (s.FixedMs != null) { _latencyMinMs = _latencyMaxMs = s.FixedMs.Value; }
        else if (s.MinMs != null || s.MaxMs != null)
        {
            if (s.MinMs is null || s.MaxMs is null) throw new InvalidDataException("latency: a range needs both minMs and maxMs.");
            _latencyMinMs = s.MinMs.Value; _latencyMaxMs = s.MaxMs.Value;
        }
        if (_latencyMinMs < 0 || _latencyMaxMs < _latencyMinMs) throw new InvalidDataException("latency: delays must be 0 or more, and minMs <= maxMs.");
        _latencyRng = new Random(s.Seed);
    }

    /// <summary>The delay of the next answer: fixed, or the next draw of the seeded random source (0 when no latency is set).</summary>
    internal TimeSpan NextLatency()
    {
        if (_latencyMaxMs <= 0) return TimeSpan.Zero;
        int ms;
        if (_latencyMinMs == _latencyMaxMs) ms = _latencyMinMs;
        else lock (_latencyRng!) ms = _latencyRng.Next(_latencyMinMs, _latencyMaxMs + 1);
        Interlocked.Increment(ref _latencyResponses);
        Interlocked.Add(ref _latencyTotalMs, ms);
        return TimeSpan.FromMilliseconds(ms);
    }

    internal Task DelayAsync(TimeSpan d, CancellationToken ct) => d <= TimeSpan.Zero ? Task.CompletedTask : _delay(d, ct);

    /// <summary>How many answers the latency setting has delayed so far, and by how much in total.</summary>
    public SimLatencyStats Latency => new(Interlocked.Read(ref _latencyResponses), Interlocked.Read(ref _latencyTotalMs));
}
