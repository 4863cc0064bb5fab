namespace VppPS.Simulator;

/// <summary>The simulator's notion of "now" (token expiry, event completion, JWT expiry).</summary>
public interface ISimulatorClock
{
    DateTimeOffset UtcNow { get; }
}

/// <summary>The wall clock.</summary>
public sealed class SystemSimulatorClock : ISimulatorClock
{
    public static readonly SystemSimulatorClock Instance = new();
    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;
}

/// <summary>A clock that only moves when told to; for deterministic tests.</summary>
public sealed class ManualSimulatorClock : ISimulatorClock
{
    private long _ticks;
    public ManualSimulatorClock(DateTimeOffset start) => _ticks = start.UtcTicks;
    public DateTimeOffset UtcNow => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);
}
