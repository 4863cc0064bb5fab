using System.Collections.Concurrent;
using System.Net;
using VppPS.Engine.Apple;
using VppPS.Engine.Configuration;

namespace VppPS.Engine.Tokens;

/// <summary>
/// Builds the Apple client for a content token. What must be shared is shared per process:
/// one HttpClient (connection reuse), one service/config cache, and one rate limiter per
/// location, so that every request of a location, from any command, counts against the same
/// maxRequestPerSecond.
/// </summary>
public static class AppleConnections
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 16,
        AutomaticDecompression = DecompressionMethods.All,
        UseCookies = false, // the metadata lookups set Cookie: itvt=... themselves
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private static readonly ConcurrentDictionary<string, AppleRequestRateLimiter> Limiters = new(StringComparer.Ordinal);
    private static readonly AppleServiceConfigCache ServiceConfigCache = new(SystemClock.Instance);

    public static AppleClientOptions Options(VppConfiguration configuration)
    {
        var options = new AppleClientOptions
        {
            BaseUrl = new Uri(configuration.ServiceUrl),
            EventPollInterval = configuration.StatusPollInterval,
            ServiceConfigCache = ServiceConfigCache,
        };
        // For tests and simulations only: Apple's backoff starts at seconds, a simulator needs none.
        if (int.TryParse(Environment.GetEnvironmentVariable("VPPPS_RETRY_BASE_DELAY_MS"), out var ms) && ms >= 0)
            options = options with { RetryBaseDelay = TimeSpan.FromMilliseconds(ms) };
        return options;
    }

    /// <summary>
    /// A client for <paramref name="bearer"/>. Apple's limit is per sToken, so the limiter is
    /// found by a hash of it (kept in memory only): the requests of Add-VppToken and of the sync
    /// that follows at once count against the same limit.
    /// </summary>
    public static AppleClient Create(VppContext context, string bearer)
    {
        var options = Options(context.Configuration);
        var key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(bearer.Trim())));
        var limiter = Limiters.GetOrAdd(options.BaseUrl.AbsoluteUri + "|" + key,
            _ => new AppleRequestRateLimiter(options.DefaultRequestsPerSecond, options.RateLimitWindow, options.TimeProvider));
        return new AppleClient(bearer, context.AppleHttp ?? Http, options, context.Clock, context.Observer, limiter);
    }

    /// <summary>The process-wide HttpClient, for the metadata services.</summary>
    public static HttpClient HttpClient => Http;
}
