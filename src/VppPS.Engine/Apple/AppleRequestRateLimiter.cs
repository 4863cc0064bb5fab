using System.Threading.RateLimiting;

namespace VppPS.Engine.Apple;

/// <summary>
/// Lets at most <see cref="PermitLimit"/> requests start in any window of
/// <see cref="Window"/>, queueing (never rejecting) the rest. It remembers when each of the
/// last PermitLimit permits was granted, so unlike a segmented sliding window it holds for
/// every interval, including Apple's fixed 1-s windows wherever they fall. Share one instance
/// between all clients and parallel requests of one token. It also carries the token's
/// <see cref="InFlight"/> gate: at most <see cref="MaxRequestsInFlight"/> requests of the token
/// at once, whichever clients send them.
/// </summary>
public sealed class AppleRequestRateLimiter : RateLimiter
{
    /// <summary>Apple (2026): "don't submit more than five requests simultaneously".</summary>
    public const int MaxRequestsInFlight = 5;

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private long[] _grants;   // timestamps of the last PermitLimit grants, oldest at _oldest; 0 = none yet
    private int _oldest;
    private int _waiting;
    private long _granted;
    private long _lastGrant;

    public AppleRequestRateLimiter(int permitLimit, TimeSpan window, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _time = timeProvider ?? TimeProvider.System;
        Window = window;
        _grants = new long[permitLimit];
    }

    public TimeSpan Window { get; }

    /// <summary>
    /// Requests of this token being sent or answered now: at most <see cref="MaxRequestsInFlight"/>,
    /// the rest queued in order. A request takes its place here before its rate-limit permit, so
    /// that a request waiting for a place never sends on an old permit.
    /// </summary>
    public ConcurrencyLimiter InFlight { get; } = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = MaxRequestsInFlight,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public int PermitLimit
    {
        get { lock (_gate) return _grants.Length; }
    }

    /// <summary>Changes the limit (service/config's maxRequestPerSecond), keeping the most recent grants.</summary>
    public void SetPermitLimit(int permitLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1);
        lock (_gate)
        {
            if (permitLimit == _grants.Length)
                return;
            var ordered = Enumerable.Range(0, _grants.Length).Select(i => _grants[(_oldest + i) % _grants.Length]).ToArray();
            var resized = new long[permitLimit];
            var keep = Math.Min(permitLimit, ordered.Length);
            Array.Copy(ordered, ordered.Length - keep, resized, permitLimit - keep, keep);
            _grants = resized;
            _oldest = 0;
        }
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
                return _waiting > 0 || _lastGrant == 0 ? null : _time.GetElapsedTime(_lastGrant);
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var available = _grants.Count(t => t == 0 || _time.GetElapsedTime(t, now) >= Window);
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = available,
                CurrentQueuedCount = _waiting,
                TotalSuccessfulLeases = _granted,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        return permitCount == 0 || TryGrant(out _) ? Lease.Acquired : Lease.Refused;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        if (permitCount == 0)
            return Lease.Acquired;
        Interlocked.Increment(ref _waiting);
        try
        {
            // Waiters re-check after their wait: a timer may fire early or another waiter may win.
            while (!TryGrant(out var wait))
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            return Lease.Acquired;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>For tests: called under the lock with each grant's timestamp, the moment it is granted.</summary>
    internal Action<long>? OnGrant { get; set; }

    private bool TryGrant(out TimeSpan wait)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var oldest = _grants[_oldest];
            var elapsed = oldest == 0 ? Window : _time.GetElapsedTime(oldest, now);
            if (elapsed < Window)
            {
                wait = Window - elapsed;
                return false;
            }
            _grants[_oldest] = now == 0 ? 1 : now;
            _oldest = (_oldest + 1) % _grants.Length;
            _lastGrant = _grants[(_oldest + _grants.Length - 1) % _grants.Length];
            _granted++;
            OnGrant?.Invoke(_lastGrant);
            wait = TimeSpan.Zero;
            return true;
        }
    }

    private static void CheckPermitCount(int permitCount)
    {
        // Every request takes exactly one permit.
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Refused = new(false);

        public override bool IsAcquired => acquired;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
