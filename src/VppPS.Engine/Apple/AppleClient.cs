using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>
/// Apple's Apps and Books management API (v2) for one content token. Every call goes through
/// one retry/rate-limit/timeout pipeline, reads errors from the body whatever the HTTP status,
/// reports each request in Verbose (never the token) and hands every envelope to
/// <see cref="EnvelopeReceived"/>. Thread-safe: parallel calls share the token's rate limiter.
/// </summary>
public sealed class AppleClient
{
    private readonly string _sToken;
    private readonly AppleClientOptions _options;
    private readonly IClock _clock;
    private readonly IOperationObserver _observer;
    private readonly AppleServiceConfigCache _serviceConfigCache;
    private readonly AppleHttpSender _sender;

    /// <param name="sToken">The whole content of the .vpptoken file; sent as Bearer, never logged.</param>
    /// <param name="httpClient">Used as is; owned by the caller.</param>
    /// <param name="rateLimiter">The token's limiter; pass the same instance to every client of one token.</param>
    public AppleClient(
        string sToken,
        HttpClient httpClient,
        AppleClientOptions? options = null,
        IClock? clock = null,
        IOperationObserver? observer = null,
        AppleRequestRateLimiter? rateLimiter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sToken);
        _sToken = sToken.Trim();
        _options = options ?? new AppleClientOptions();
        _clock = clock ?? SystemClock.Instance;
        _observer = observer ?? NullObserver.Instance;
        _serviceConfigCache = _options.ServiceConfigCache ?? new AppleServiceConfigCache(_clock);
        RateLimiter = rateLimiter ?? new AppleRequestRateLimiter(_options.DefaultRequestsPerSecond, _options.RateLimitWindow, _options.TimeProvider);
        _sender = new AppleHttpSender(httpClient, _options, _clock, _observer, RateLimiter);
    }

    /// <summary>
    /// Raised with the envelope (uId, tokenExpirationDate, mdmInfo) of every successful v2 answer
    /// that has one. A handler may throw (e.g. another MDM took the location) to stop the call.
    /// </summary>
    public event EventHandler<AppleEnvelope>? EnvelopeReceived;

    /// <summary>HTTP requests sent so far, retries included.</summary>
    public long RequestCount => _sender.RequestCount;

    public AppleRequestRateLimiter RateLimiter { get; }

    // ---- service and client configuration ----

    /// <summary>GET service/config (no token), cached for five minutes per base URL.</summary>
    public async Task<ServiceConfigResponse> GetServiceConfigAsync(CancellationToken cancellationToken = default)
    {
        var config = await _serviceConfigCache.GetOrFetchAsync(_options.BaseUrl, () => FetchServiceConfigAsync(cancellationToken)).ConfigureAwait(false);
        // The cache may hold what another client fetched: this client's limiter must follow it too.
        RateLimiter.SetPermitLimit(config.EffectiveLimits.MaxRequestPerSecond);
        return config;
    }

    /// <summary>The limits of service/config (Apple's example values where missing).</summary>
    public async Task<AppleLimits> GetLimitsAsync(CancellationToken cancellationToken = default) =>
        (await GetServiceConfigAsync(cancellationToken).ConfigureAwait(false)).EffectiveLimits;

    /// <summary>The limits of service/config read anew (not from the cache): Apple changes them without notice.</summary>
    public async Task<AppleLimits> RefreshLimitsAsync(CancellationToken cancellationToken = default)
    {
        _serviceConfigCache.Invalidate(_options.BaseUrl);
        return await GetLimitsAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<ClientConfigResponse> GetClientConfigAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "clientConfig", "client/config", "", null, AppleJsonContext.Default.ClientConfigResponse, cancellationToken);

    /// <summary>POST client/config; Apple changes only the fields present.</summary>
    public Task<ClientConfigResponse> SetClientConfigAsync(ClientConfigRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "clientConfig", "client/config", "", Serialize(request, AppleJsonContext.Default.ClientConfigRequest),
            AppleJsonContext.Default.ClientConfigResponse, cancellationToken);

    // ---- single pages ----

    public Task<GetAssetsResponse> GetAssetsAsync(AssetQuery? query, int pageIndex, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "getAssets", "assets", WithPage((query ?? new()).ToQuery(), pageIndex), null,
            AppleJsonContext.Default.GetAssetsResponse, cancellationToken);

    public Task<GetAssignmentsResponse> GetAssignmentsAsync(AssignmentQuery? query, int pageIndex, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "getAssignments", "assignments", WithPage((query ?? new()).ToQuery(), pageIndex), null,
            AppleJsonContext.Default.GetAssignmentsResponse, cancellationToken);

    public Task<GetUsersResponse> GetUsersAsync(UserQuery? query, int pageIndex, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "getUsers", "users", WithPage((query ?? new()).ToQuery(), pageIndex), null,
            AppleJsonContext.Default.GetUsersResponse, cancellationToken);

    // ---- all pages ----

    /// <summary>
    /// Every page of assets: page 0, then the rest at most MaxParallelPages at once, yielded in
    /// page order as they arrive. Throws <see cref="AppleVersionChangedException"/> when a page's
    /// versionId differs from page 0's (see <see cref="ApplePaging.ReadAllAsync{TResponse}"/>).
    /// </summary>
    public IAsyncEnumerable<GetAssetsResponse> ReadAssetPagesAsync(AssetQuery? query, CancellationToken cancellationToken = default) =>
        ReadPagesAsync("Reading assets", (page, ct) => GetAssetsAsync(query, page, ct), cancellationToken);

    /// <summary>Every page of assignments, as <see cref="ReadAssetPagesAsync"/>; set SinceVersionId for an incremental read.</summary>
    public IAsyncEnumerable<GetAssignmentsResponse> ReadAssignmentPagesAsync(AssignmentQuery? query, CancellationToken cancellationToken = default) =>
        ReadPagesAsync("Reading assignments", (page, ct) => GetAssignmentsAsync(query, page, ct), cancellationToken);

    /// <summary>Every page of users, as <see cref="ReadAssetPagesAsync"/>; set SinceVersionId for an incremental read.</summary>
    public IAsyncEnumerable<GetUsersResponse> ReadUserPagesAsync(UserQuery? query, CancellationToken cancellationToken = default) =>
        ReadPagesAsync("Reading users", (page, ct) => GetUsersAsync(query, page, ct), cancellationToken);

    /// <summary>
    /// Every asset, in one list (a location has thousands at most); each read restarts when the
    /// versionId changes midway. Apps and books with a license count are read with unlimited=false,
    /// free ones with unlimited=true (Apple, 2026), and both lists are merged: a free asset comes
    /// back with <see cref="ResponseAsset.UnlimitedCount"/> as its total and no other count. Both
    /// arrays of every answer are read, and a free asset (totalCount 2147483647) in either is
    /// recognised, so a service that ignores the parameter gives the same list.
    /// </summary>
    public async Task<IReadOnlyList<ResponseAsset>> ReadAllAssetsAsync(CancellationToken cancellationToken = default)
    {
        // Both reads at once (they share the token's rate limit and in-flight gate); the first to fail stops the other.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task<List<ResponseAsset>> ReadAsync(bool unlimited)
        {
            var query = new AssetQuery { Unlimited = unlimited };
            var read = new List<ResponseAsset>();
            try
            {
                await ApplePaging.ReadAllAsync(ct => ReadAssetPagesAsync(query, ct), (page, _) =>
                {
                    read.AddRange(page.Items);
                    read.AddRange((page.UnlimitedAssets ?? []).Select(ResponseAsset.FromUnlimited));
                    return ValueTask.CompletedTask;
                }, _ => { read.Clear(); return ValueTask.CompletedTask; }, cancellationToken: stop.Token).ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
            return read;
        }
        var counted = ReadAsync(unlimited: false);
        var free = ReadAsync(unlimited: true);
        // A read cancelled by the other's failure ends cancelled, not faulted: the failure is what is thrown.
        await Task.WhenAll(counted, free).ConfigureAwait(false);
        var byKey = new Dictionary<(string AdamId, string Pricing), ResponseAsset>();
        // Merged in a fixed order, counted then free, whichever answered first.
        foreach (var asset in counted.Result.Concat(free.Result))
        {
            var key = (asset.AdamId, asset.PricingParam ?? "STDQ");
            // A free asset's entry wins over a counted one of the same key (a service that ignored unlimited=false).
            if (!byKey.TryGetValue(key, out var known) || (asset.IsUnlimited && !known.IsUnlimited))
                byKey[key] = asset.IsUnlimited ? asset with { TotalCount = ResponseAsset.UnlimitedCount, AvailableCount = ResponseAsset.UnlimitedCount - asset.AssignedCount, RetiredCount = 0 } : asset;
        }
        return byKey.Values.ToList();
    }

    /// <summary>Every user the query selects, in one list, with page 0's versionId for the next incremental read.</summary>
    public Task<(IReadOnlyList<ResponseUser> Items, string? VersionId)> ReadAllUsersAsync(UserQuery? query, CancellationToken cancellationToken = default) =>
        ReadAllAsync<GetUsersResponse, ResponseUser>(ct => ReadUserPagesAsync(query, ct), cancellationToken);

    private static async Task<(IReadOnlyList<TItem> Items, string? VersionId)> ReadAllAsync<TPage, TItem>(
        Func<CancellationToken, IAsyncEnumerable<TPage>> traversal, CancellationToken cancellationToken) where TPage : IApplePage<TItem>
    {
        var items = new List<TItem>();
        var read = await ApplePaging.ReadAllAsync(traversal, (page, _) => { items.AddRange(page.Items); return ValueTask.CompletedTask; },
            _ => { items.Clear(); return ValueTask.CompletedTask; }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (items, read.VersionId);
    }

    // ---- subscriptions (2026): no service/config url keys, so paths under the base URL ----

    /// <summary>
    /// POST subscriptions/enable or subscriptions/disable (no body, no Content-Type): declares
    /// whether the token's management service supports subscriptions, and returns what Apple
    /// recorded. Disabling while the organizational unit owns subscriptions fails with 9818.
    /// </summary>
    public Task<SubscriptionManagementResponse> SetSubscriptionManagementAsync(bool enabled, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, null, enabled ? "subscriptions/enable" : "subscriptions/disable", "", null,
            AppleJsonContext.Default.SubscriptionManagementResponse, cancellationToken);

    public Task<GetSubscriptionsResponse> GetSubscriptionsAsync(SubscriptionQuery? query, string? cursor, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, null, "subscriptions", (query ?? new()).ToQuery().Add("cursor", cursor).ToString(), null,
            AppleJsonContext.Default.GetSubscriptionsResponse, cancellationToken);

    public Task<GetSubscriptionAssignmentsResponse> GetSubscriptionAssignmentsAsync(SubscriptionQuery? query, string? cursor, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, null, "subscriptions/assignments", (query ?? new()).ToQuery().Add("cursor", cursor).ToString(), null,
            AppleJsonContext.Default.GetSubscriptionAssignmentsResponse, cancellationToken);

    /// <summary>Every subscription the query selects (see <see cref="ReadAllByCursorAsync{TPage, TItem}"/>).</summary>
    public Task<CursorReadResult<ResponseSubscription>> ReadAllSubscriptionsAsync(SubscriptionQuery? query, CancellationToken cancellationToken = default) =>
        ReadAllByCursorAsync<GetSubscriptionsResponse, ResponseSubscription>("Reading subscriptions",
            (cursor, ct) => GetSubscriptionsAsync(query, cursor, ct), null, cancellationToken);

    /// <summary>
    /// Every seat assignment the query selects (see <see cref="ReadAllByCursorAsync{TPage, TItem}"/>);
    /// with <paramref name="unlessVersionId"/>, only the first page is read when its versionId is that one (nothing changed).
    /// </summary>
    public Task<CursorReadResult<SubscriptionAssignment>> ReadAllSubscriptionAssignmentsAsync(SubscriptionQuery? query, string? unlessVersionId = null,
        CancellationToken cancellationToken = default) =>
        ReadAllByCursorAsync<GetSubscriptionAssignmentsResponse, SubscriptionAssignment>("Reading subscription seats",
            (cursor, ct) => GetSubscriptionAssignmentsAsync(query, cursor, ct), unlessVersionId, cancellationToken);

    /// <summary>
    /// Reads a cursor-paged list from the start: one page after the other (Apple: cursor reads are
    /// sequential, never parallel), passing each nextCursor back as it came, until a page has none.
    /// When a page's versionId differs from the first page's, the data changed under the read: it
    /// starts again from the first page, at most <paramref name="maxRestarts"/> times. With
    /// <paramref name="unlessVersionId"/> equal to the first page's versionId, the read stops there
    /// and gives no items (Unchanged).
    /// </summary>
    private async Task<CursorReadResult<TItem>> ReadAllByCursorAsync<TPage, TItem>(string activity, Func<string?, CancellationToken, Task<TPage>> fetch,
        string? unlessVersionId, CancellationToken cancellationToken, int maxRestarts = 3) where TPage : ICursorPage<TItem>
    {
        for (var restarts = 0; ; restarts++)
        {
            var items = new List<TItem>();
            var cursors = new HashSet<string>(StringComparer.Ordinal);
            string? cursor = null, versionId = null;
            try
            {
                for (var page = 0; ; page++)
                {
                    var answer = await fetch(cursor, cancellationToken).ConfigureAwait(false);
                    if (page == 0)
                    {
                        versionId = answer.VersionId;
                        if (unlessVersionId is not null && string.Equals(versionId, unlessVersionId, StringComparison.Ordinal))
                            return new CursorReadResult<TItem>([], versionId, Unchanged: true, page + 1, restarts);
                    }
                    else if (!string.Equals(answer.VersionId, versionId, StringComparison.Ordinal))
                        throw new AppleVersionChangedException(activity, versionId, answer.VersionId, page);
                    items.AddRange(answer.Items);
                    _observer.Progress(_options.ProgressActivityId, activity, $"page {page + 1}, {items.Count:N0} read", -1);
                    if (string.IsNullOrEmpty(answer.NextCursor))
                    {
                        _observer.Progress(_options.ProgressActivityId, activity, "done", 100, completed: true);
                        return new CursorReadResult<TItem>(items, versionId, Unchanged: false, page + 1, restarts);
                    }
                    if (!cursors.Add(answer.NextCursor))
                        throw AppleErrors.BadResponse(activity, new InvalidDataException("Apple gave the same nextCursor twice, which would never end"));
                    cursor = answer.NextCursor;
                }
            }
            catch (AppleVersionChangedException e) when (restarts < maxRestarts)
            {
                _observer.Verbose($"{e.Message} Reading again from the first page.");
            }
        }
    }

    // ---- writes (events) ----

    public Task<EventResponse> AssociateAssetsAsync(ManageAssetsRequest request, CancellationToken cancellationToken = default) =>
        PostEventAsync("associateAssets", "assets/associate", Serialize(request, AppleJsonContext.Default.ManageAssetsRequest), cancellationToken);

    public Task<EventResponse> DisassociateAssetsAsync(ManageAssetsRequest request, CancellationToken cancellationToken = default) =>
        PostEventAsync("disassociateAssets", "assets/disassociate", Serialize(request, AppleJsonContext.Default.ManageAssetsRequest), cancellationToken);

    public Task<EventResponse> CreateUsersAsync(ManageUsersRequest request, CancellationToken cancellationToken = default) =>
        PostEventAsync("createUsers", "users/create", Serialize(request, AppleJsonContext.Default.ManageUsersRequest), cancellationToken);

    public Task<EventResponse> RetireUsersAsync(ManageUsersRequest request, CancellationToken cancellationToken = default) =>
        PostEventAsync("retireUsers", "users/retire", Serialize(request, AppleJsonContext.Default.ManageUsersRequest), cancellationToken);

    /// <summary>
    /// POST subscriptions/associate: seats of the subscriptions for the users (renewing ones, or with
    /// Renewing false seats that lapse at the period end). Asynchronous: an event, as for assets.
    /// </summary>
    public Task<EventResponse> AssociateSubscriptionsAsync(ManageSubscriptionsRequest request, CancellationToken cancellationToken = default) =>
        PostEventAsync(null, "subscriptions/associate", Serialize(request with { Renewing = request.Renewing ?? true, Deferred = null },
            AppleJsonContext.Default.ManageSubscriptionsRequest), cancellationToken);

    /// <summary>
    /// POST subscriptions/disassociate: takes the users' seats back, at once or (Deferred) at the end
    /// of the billing period. Asynchronous: an event; a deferred one completes at once.
    /// </summary>
    public Task<EventResponse> DisassociateSubscriptionsAsync(ManageSubscriptionsRequest request, CancellationToken cancellationToken = default) =>
        PostEventAsync(null, "subscriptions/disassociate", Serialize(request with { Renewing = null },
            AppleJsonContext.Default.ManageSubscriptionsRequest), cancellationToken);

    public Task<StatusResponse> GetEventStatusAsync(string eventId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "eventStatus", "status", new QueryString().Add("eventId", eventId).ToString(), null,
            AppleJsonContext.Default.StatusResponse, cancellationToken);

    /// <summary>
    /// Polls status every EffectiveEventPollInterval (30 s or more against Apple) until the event is COMPLETE or FAILED and returns
    /// that status (FAILED lists its failures). Throws VppAppleEventPending after EventMaxWait.
    /// </summary>
    public async Task<StatusResponse> WaitForEventAsync(string eventId, CancellationToken cancellationToken = default)
    {
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        var status = await PollEventAsync(eventId, () => time.GetElapsedTime(started) + _options.EffectiveEventPollInterval > _options.EventMaxWait, cancellationToken).ConfigureAwait(false);
        if (status.IsPending)
            throw new VppException(VppErrorKind.ServiceUnavailable, "VppAppleEventPending",
                $"Apple's event {eventId} is still pending after {_options.EventMaxWait.TotalMinutes:0.#} minutes " +
                $"({status.NumCompleted} of {status.NumRequested} done). Apple asks to submit the request again.", eventId);
        return status;
    }

    /// <summary>
    /// Polls status every EffectiveEventPollInterval (30 s or more against Apple) until the event is COMPLETE or FAILED, or until the
    /// next poll would come after <paramref name="giveUpAt"/> (by the client's clock), and returns
    /// the last status, PENDING then. A time already past gives one look at the event.
    /// </summary>
    public Task<StatusResponse> PollEventAsync(string eventId, DateTimeOffset giveUpAt, CancellationToken cancellationToken = default) =>
        PollEventAsync(eventId, () => _clock.UtcNow + _options.EffectiveEventPollInterval > giveUpAt, cancellationToken);

    private async Task<StatusResponse> PollEventAsync(string eventId, Func<bool> stop, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = await GetEventStatusAsync(eventId, cancellationToken).ConfigureAwait(false);
            if (!status.IsPending || stop())
                return status;
            await Task.Delay(_options.EffectiveEventPollInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Submits a write (e.g. <c>ct => client.AssociateAssetsAsync(request, ct)</c>) and waits for its outcome.</summary>
    public async Task<StatusResponse> SubmitAndWaitAsync(Func<CancellationToken, Task<EventResponse>> submit, CancellationToken cancellationToken = default)
    {
        var submitted = await submit(cancellationToken).ConfigureAwait(false);
        return await WaitForEventAsync(submitted.EventId, cancellationToken).ConfigureAwait(false);
    }

    // ---- plumbing ----

    private Task<EventResponse> PostEventAsync(string? urlKey, string fallbackPath, byte[] body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, urlKey, fallbackPath, "", body, AppleJsonContext.Default.EventResponse, cancellationToken);

    private async Task<ServiceConfigResponse> FetchServiceConfigAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(BaseWithSlash() + "service/config");
        var config = await ExecuteAsync(HttpMethod.Get, url, null, authenticate: false, AppleJsonContext.Default.ServiceConfigResponse, cancellationToken)
            .ConfigureAwait(false);
        RateLimiter.SetPermitLimit(config.EffectiveLimits.MaxRequestPerSecond);
        return config;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string? urlKey, string fallbackPath, string query, byte[]? body,
        JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) where T : AppleResponse
    {
        var config = await GetServiceConfigAsync(cancellationToken).ConfigureAwait(false);
        var url = new Uri(ResolveEndpoint(config, urlKey, fallbackPath) + query);
        var response = await ExecuteAsync(method, url, body, authenticate: true, typeInfo, cancellationToken).ConfigureAwait(false);
        EnvelopeReceived?.Invoke(this, new AppleEnvelope(AppleHttpSender.Label(method, url), response.UId, response.TokenExpirationDate, response.MdmInfo));
        return response;
    }

    /// <summary>service/config's urls are authoritative; the documented path under the base URL is the fallback.</summary>
    private string ResolveEndpoint(ServiceConfigResponse config, string? urlKey, string fallbackPath) =>
        urlKey is not null && config.Urls is not null && config.Urls.TryGetValue(urlKey, out var url) && Uri.IsWellFormedUriString(url, UriKind.Absolute)
            ? url
            : BaseWithSlash() + fallbackPath;

    private string BaseWithSlash() => _options.BaseUrl.AbsoluteUri.TrimEnd('/') + "/";

    private async Task<T> ExecuteAsync<T>(HttpMethod method, Uri url, byte[]? body, bool authenticate, JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken)
    {
        // Parsed inside the attempt: an answer that cannot be read is retried like a 5xx.
        var result = await _sender.SendAsync(method, url, body, authenticate ? AddBearer : null, cancellationToken,
            parse: bytes => JsonSerializer.Deserialize(bytes, typeInfo) ?? throw new JsonException("the body is empty or null")).ConfigureAwait(false);
        var label = AppleHttpSender.Label(method, url);
        if (result.Error is { } error)
            throw Redacted(AppleErrors.FromAppleError(error, label, result.ConsecutiveInternalErrors, result.Status));
        if (!result.IsSuccess)
            throw AppleErrors.FromHttpStatus(result.Status, label);
        if (result.ReadFailure is { } unreadable)
            throw AppleErrors.Unreadable(label, unreadable);
        var response = (T)result.Value!;
        if (response is AppleResponse { ErrorNumber: { } number } envelope)
            throw Redacted(AppleErrors.FromAppleError(new AppleErrorBody { ErrorNumber = number, ErrorMessage = envelope.ErrorMessage }, label, 0));
        return response;
    }

    private void AddBearer(HttpRequestHeaders headers) => headers.TryAddWithoutValidation("Authorization", "Bearer " + _sToken);

    private async IAsyncEnumerable<TResponse> ReadPagesAsync<TResponse>(string activity, Func<int, CancellationToken, Task<TResponse>> fetchPage,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResponse : IApplePage
    {
        var activityId = _options.ProgressActivityId;
        var first = await fetchPage(0, cancellationToken).ConfigureAwait(false);
        var totalPages = first.NextPageIndex is null ? 1 : Math.Max(first.TotalPages, 2);
        ReportPage(activityId, activity, 0, totalPages);
        yield return first;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<(int Index, Task<TResponse> Fetch)>();
        var next = 1;
        try
        {
            while (next < totalPages && inFlight.Count < Math.Max(1, _options.MaxParallelPages))
                inFlight.Enqueue((next, fetchPage(next++, stop.Token)));
            while (inFlight.Count > 0)
            {
                var (index, fetch) = inFlight.Dequeue();
                var page = await fetch.ConfigureAwait(false);
                if (next < totalPages)
                    inFlight.Enqueue((next, fetchPage(next++, stop.Token)));
                if (!string.Equals(page.VersionId, first.VersionId, StringComparison.Ordinal))
                    throw new AppleVersionChangedException(activity, first.VersionId, page.VersionId, index);
                ReportPage(activityId, activity, index, totalPages);
                yield return page;
            }
        }
        finally
        {
            _observer.Progress(activityId, activity, "done", 100, completed: true);
            if (inFlight.Count > 0)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                foreach (var (_, fetch) in inFlight)
                {
                    try { await fetch.ConfigureAwait(false); }
                    catch (Exception) { /* abandoned page of a read that already failed or stopped */ }
                }
            }
        }
    }

    private void ReportPage(int activityId, string activity, int index, int totalPages) =>
        _observer.Progress(activityId, activity, $"page {index + 1} of {totalPages}", (int)((index + 1) * 100L / totalPages));

    private static string WithPage(QueryString query, int pageIndex) => query.Add("pageIndex", pageIndex).ToString();

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);

    /// <summary>Belt and braces: Apple's message is passed on, but never with the token in it.</summary>
    private VppException Redacted(VppException exception) =>
        exception.Message.Contains(_sToken, StringComparison.Ordinal)
            ? new VppException(exception.Kind, exception.ErrorId, exception.Message.Replace(_sToken, "***", StringComparison.Ordinal), exception.Target)
                { AppleErrorNumber = exception.AppleErrorNumber }
            : exception;
}
