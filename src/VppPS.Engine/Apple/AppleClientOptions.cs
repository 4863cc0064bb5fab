namespace VppPS.Engine.Apple;

/// <summary>
/// Settings of <see cref="AppleClient"/>. One instance may be shared by the clients of several
/// tokens: nothing in it is per token.
/// </summary>
public sealed record AppleClientOptions
{
    public static readonly Uri AppleBaseUrl = new("https://vpp.itunes.apple.com/mdm/v2");

    /// <summary>Where service/config is read; the other endpoints come from its urls.</summary>
    public Uri BaseUrl { get; init; } = AppleBaseUrl;

    /// <summary>Time allowed for one HTTP attempt, body included; Timeout.InfiniteTimeSpan for none.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt, for 429/5xx, 9646, 9603, timeouts and transport errors.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First backoff delay when Apple gives no Retry-After; doubles per retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound of one backoff delay.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest Retry-After honoured; a longer one is cut to this (said in Verbose).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Apple asks to stop resending after this many 9603 in a row and try minutes later.</summary>
    public int MaxConsecutiveInternalErrors { get; init; } = 5;

    /// <summary>Pages read at once after page 0 (Apple allows at most 5).</summary>
    public int MaxParallelPages { get; init; } = 5;

    /// <summary>Requests per second before service/config says otherwise (its maxRequestPerSecond).</summary>
    public int DefaultRequestsPerSecond { get; init; } = 15;

    /// <summary>
    /// The window in which at most maxRequestPerSecond requests start. A little over one second
    /// (2%): any maxRequestPerSecond + 1 requests then start more than 1 s apart, so up to 20 ms
    /// of difference in how long requests take to reach Apple never puts one request too many into
    /// one of its 1-s windows, while a long read still runs at 98% of the limit.
    /// </summary>
    public TimeSpan RateLimitWindow { get; init; } = TimeSpan.FromMilliseconds(1020);

    /// <summary>Apple (2026): "wait at least 30 seconds between subsequent status queries".</summary>
    public static readonly TimeSpan AppleMinimumEventPollInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Wait between two status polls of a pending event. Against Apple (a host under apple.com)
    /// anything below <see cref="AppleMinimumEventPollInterval"/> is raised to it; only a
    /// simulator or a test service may be polled faster (see <see cref="EffectiveEventPollInterval"/>).
    /// </summary>
    public TimeSpan EventPollInterval { get; init; } = AppleMinimumEventPollInterval;

    /// <summary>The wait between status polls actually used: EventPollInterval, at least 30 s against Apple.</summary>
    public TimeSpan EffectiveEventPollInterval =>
        IsApple(BaseUrl) && EventPollInterval < AppleMinimumEventPollInterval ? AppleMinimumEventPollInterval : EventPollInterval;

    /// <summary>Whether the URL is Apple's own service (apple.com or a host under it).</summary>
    public static bool IsApple(Uri url) =>
        url.Host.Equals("apple.com", StringComparison.OrdinalIgnoreCase) || url.Host.EndsWith(".apple.com", StringComparison.OrdinalIgnoreCase);

    /// <summary>How long an event may stay PENDING before giving up (Apple: resubmit after 10 minutes).</summary>
    public TimeSpan EventMaxWait { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The Progress activity id used by the page readers.</summary>
    public int ProgressActivityId { get; init; } = 4201;

    /// <summary>Drives every wait (retry delays, timeouts, rate limiting, polling); tests pass a fake.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Shared service/config cache; null gives the client one of its own.</summary>
    public AppleServiceConfigCache? ServiceConfigCache { get; init; }
}
