using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>
/// service/config per base URL, kept for five minutes as Apple asks, shared by the clients of
/// all tokens. Concurrent callers share one fetch; a failed fetch is not kept.
/// </summary>
public sealed class AppleServiceConfigCache
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private readonly IClock _clock;
    private readonly TimeSpan _lifetime;
    private readonly object _gate = new();
    private readonly Dictionary<string, (Task<ServiceConfigResponse> Fetch, DateTimeOffset Started)> _entries = new(StringComparer.OrdinalIgnoreCase);

    public AppleServiceConfigCache(IClock clock, TimeSpan? lifetime = null)
    {
        _clock = clock;
        _lifetime = lifetime ?? DefaultLifetime;
    }

    public Task<ServiceConfigResponse> GetOrFetchAsync(Uri baseUrl, Func<Task<ServiceConfigResponse>> fetch)
    {
        var key = baseUrl.AbsoluteUri.TrimEnd('/');
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry) && IsUsable(entry.Fetch, entry.Started))
                return entry.Fetch;
            var task = fetch();
            _entries[key] = (task, _clock.UtcNow);
            return task;
        }
    }

    /// <summary>
    /// Forgets what was fetched for <paramref name="baseUrl"/> (Apple said a request exceeds limits that
    /// may have changed since): the next caller fetches service/config again. A fetch still running is kept.
    /// </summary>
    public void Invalidate(Uri baseUrl)
    {
        var key = baseUrl.AbsoluteUri.TrimEnd('/');
        lock (_gate)
            if (_entries.TryGetValue(key, out var entry) && entry.Fetch.IsCompleted)
                _entries.Remove(key);
    }

    private bool IsUsable(Task<ServiceConfigResponse> fetch, DateTimeOffset started) =>
        !fetch.IsCompleted || (fetch.IsCompletedSuccessfully && _clock.UtcNow - started < _lifetime);
}
