using System.Collections.Concurrent;

namespace VppPS.Engine.Tests.Apple;

/// <summary>
/// A TimeProvider whose timers fire at once (on the thread pool) and move its virtual clock
/// to their due time, so retry delays, polling and rate limiting run without waiting while
/// the delays asked for are recorded. Every timer fires, so tests that do not test the
/// per-request timeout set it to infinite.
/// </summary>
internal sealed class VirtualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private long _nowTicks = new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero).UtcTicks;

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return new DateTimeOffset(_nowTicks, TimeSpan.Zero);
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate) return _nowTicks;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void AdvanceTo(long ticks)
    {
        lock (_gate) _nowTicks = Math.Max(_nowTicks, ticks);
    }

    private sealed class VirtualTimer(VirtualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private int _generation;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var generation = Interlocked.Increment(ref _generation);
            if (dueTime == Timeout.InfiniteTimeSpan)
                return true;
            owner.Delays.Enqueue(dueTime);
            var due = owner.GetTimestamp() + dueTime.Ticks;
            ThreadPool.QueueUserWorkItem(_ =>
            {
                if (Volatile.Read(ref _generation) != generation)
                    return;
                owner.AdvanceTo(due);
                callback(state);
            });
            return true;
        }

        public void Dispose() => Interlocked.Increment(ref _generation);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
