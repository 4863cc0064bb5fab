using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace VppPS.Engine.Apple;

/// <summary>
/// The one Polly pipeline every Apple call goes through: retry (outermost) -> the token's
/// in-flight gate (at most 5 at once) -> rate limiter -> per-attempt timeout. Retries honour
/// Retry-After on 429 and 5xx, back off exponentially with jitter on 9646, 9603, 9644, 9729 and an
/// answer that cannot be read otherwise, stop after the configured run of 9603, and never retry an
/// application error (401, 400, 9700-series...).
/// </summary>
internal static class AppleResilience
{
    /// <summary>How many 9603 answers came in a row in this call; the attempt callback maintains it.</summary>
    public static readonly ResiliencePropertyKey<int> ConsecutiveInternalErrors = new("VppPS.ConsecutiveInternalErrors");

    /// <summary>"GET /mdm/v2/assets?pageIndex=3", for Verbose lines about retries.</summary>
    public static readonly ResiliencePropertyKey<string> RequestLabel = new("VppPS.RequestLabel");

    public static ResiliencePipeline<AppleHttpResult> Build(
        AppleClientOptions options, AppleRequestRateLimiter? rateLimiter, IOperationObserver observer)
    {
        var builder = new ResiliencePipelineBuilder<AppleHttpResult> { TimeProvider = options.TimeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<AppleHttpResult>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, options)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfterDelay(args.Outcome, args.Context, options, observer)),
                OnRetry = args =>
                {
                    observer.Verbose($"Retrying {args.Context.Properties.GetValue(RequestLabel, "request")} in {args.RetryDelay.TotalSeconds:0.0} s " +
                                     $"(retry {args.AttemptNumber + 1} of {options.MaxRetries}): {Describe(args.Outcome)}");
                    return default;
                },
            });
        }
        if (rateLimiter is not null)
        {
            builder.AddRateLimiter(rateLimiter.InFlight); // held through the attempt, released during retry delays
            builder.AddRateLimiter(rateLimiter);
        }
        if (options.RequestTimeout != Timeout.InfiniteTimeSpan)
            builder.AddTimeout(options.RequestTimeout);
        return builder.Build();
    }

    private static bool ShouldRetry(Outcome<AppleHttpResult> outcome, ResilienceContext context, AppleClientOptions options)
    {
        if (outcome.Exception is { } exception)
            // A host that cannot be reached at all (no such name, refused, TLS refused) is not retried:
            // it does not come back within the seconds the retries wait.
            return ((exception is HttpRequestException or IOException) && !AppleErrors.Describe(exception).HostDown)
                || exception is TimeoutRejectedException
                || (exception is OperationCanceledException && !context.CancellationToken.IsCancellationRequested);
        var result = outcome.Result!;
        if (result.ReadFailure is not null)
            return true;
        if (result.Error?.ErrorNumber == AppleErrorNumbers.InternalError)
            return result.ConsecutiveInternalErrors < options.MaxConsecutiveInternalErrors;
        return result.Error?.ErrorNumber is AppleErrorNumbers.TooManyRequests or AppleErrorNumbers.TemporarilyUnavailable or AppleErrorNumbers.Maintenance
            || result.Status == HttpStatusCode.TooManyRequests
            || (int)result.Status >= 500;
    }

    private static TimeSpan? RetryAfterDelay(Outcome<AppleHttpResult> outcome, ResilienceContext context, AppleClientOptions options, IOperationObserver observer)
    {
        if (outcome.Result?.RetryAfter is not { } retryAfter)
            return null; // Polly's exponential backoff with jitter
        if (retryAfter <= options.MaxRetryAfter)
            return retryAfter;
        observer.Verbose($"Apple asked to wait {retryAfter.TotalSeconds:0} s before retrying {context.Properties.GetValue(RequestLabel, "request")}; " +
                         $"waiting the configured maximum of {options.MaxRetryAfter.TotalSeconds:0} s instead.");
        return options.MaxRetryAfter;
    }

    private static string Describe(Outcome<AppleHttpResult> outcome) => outcome switch
    {
        { Exception: TimeoutRejectedException } => "no answer in time",
        { Exception: { } e } => AppleErrors.Describe(e).Cause,
        { Result.Error: { } error } => $"Apple error {error.ErrorNumber}",
        { Result.ReadFailure: not null } => "an answer that could not be read",
        { Result: { } result } => $"HTTP {(int)result.Status}",
        _ => "failure",
    };
}
