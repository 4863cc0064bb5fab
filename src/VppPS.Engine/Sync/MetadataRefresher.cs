using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Metadata;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Sync;

/// <summary>
/// Keeps names, bundle ids, versions, platforms and icons of assets, and of the parent apps of
/// subscriptions, fetched only for new ones or when older than <see cref="MaxAge"/>, in batches:
/// from the metadata API when a developer key is saved, otherwise from the legacy lookup
/// (authenticated by the sToken cookie, which also shows custom B2B apps).
/// </summary>
internal sealed class MetadataRefresher
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(1);
    private readonly VppContext _context;

    public MetadataRefresher(VppContext context) => _context = context;

    /// <summary>A product to look up: its adamId, and whether it is a book (the metadata API has an endpoint for each).</summary>
    private readonly record struct Product(string AdamId, bool IsBook);

    /// <summary>Refreshes what is missing or old; returns the adamIds known to be custom B2B apps.</summary>
    public async Task<HashSet<string>> RefreshAsync(VppToken token, string bearer, string? defaultPlatform, ServiceConfigResponse service,
        IReadOnlyList<ResponseAsset> assets, AppleRequestRateLimiter rateLimiter, CancellationToken cancellationToken)
    {
        var known = await RefreshAsync(token, bearer, defaultPlatform, service, assets.Select(a => new Product(a.AdamId, a.ProductType == "Book")).ToList(),
            "asset(s)", rateLimiter, cancellationToken).ConfigureAwait(false);
        return known.Where(kv => kv.Value.IsB2B).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Names of the parent apps of the token's subscriptions (Apple's subscription answers carry
    /// no names): looked up, with the same endpoint, credential, batches and rate limiter as
    /// assets, when nothing is kept for them yet or it is older than <see cref="MaxAge"/>.
    /// </summary>
    public Task RefreshParentAppsAsync(VppToken token, string bearer, string? defaultPlatform, ServiceConfigResponse service,
        IEnumerable<string?> parentAdamIds, AppleRequestRateLimiter rateLimiter, CancellationToken cancellationToken) =>
        RefreshAsync(token, bearer, defaultPlatform, service, parentAdamIds.OfType<string>().Where(id => id.Length > 0).Select(id => new Product(id, false)).ToList(),
            "subscription parent app(s)", rateLimiter, cancellationToken);

    private async Task<Dictionary<string, (DateTimeOffset FetchedAt, bool IsB2B)>> RefreshAsync(VppToken token, string bearer, string? defaultPlatform,
        ServiceConfigResponse service, IReadOnlyList<Product> products, string what, AppleRequestRateLimiter rateLimiter, CancellationToken cancellationToken)
    {
        var now = _context.Clock.UtcNow;
        var known = _context.Store.Read(c =>
        {
            using var command = c.Command(null, "SELECT adam_id, fetched_at, is_b2b FROM asset_metadata");
            using var reader = command.ExecuteReader();
            var rows = new Dictionary<string, (DateTimeOffset FetchedAt, bool IsB2B)>();
            while (reader.Read()) rows[reader.GetString(0)] = (reader.GetString(1).ToDate(), reader.GetInt64(2) != 0);
            return rows;
        });
        var stale = products.Where(p => !known.TryGetValue(p.AdamId, out var row) || now - row.FetchedAt > MaxAge)
            .DistinctBy(p => p.AdamId).ToList();
        if (stale.Count > 0)
        {
            try
            {
                var fetched = await FetchAsync(token, bearer, defaultPlatform, service, stale, rateLimiter, cancellationToken).ConfigureAwait(false);
                Save(fetched, now);
                foreach (var m in fetched) known[m.AdamId] = (now, m.IsB2BCustomApp);
            }
            catch (VppException e) when (e.Kind is VppErrorKind.AppleError or VppErrorKind.ServiceUnavailable or VppErrorKind.TokenInvalid or VppErrorKind.Unexpected)
            {
                // Names and icons are a convenience: the licenses themselves still sync.
                _context.Observer.Warning($"Metadata (names, icons) of {stale.Count} {what} of '{token.Name}' could not be read: {e.Message} The sync goes on without it.");
            }
        }
        return known;
    }

    private async Task<IReadOnlyList<AppMetadata>> FetchAsync(VppToken token, string bearer, string? defaultPlatform, ServiceConfigResponse service,
        IReadOnlyList<Product> products, AppleRequestRateLimiter rateLimiter, CancellationToken cancellationToken)
    {
        var configuration = _context.Configuration;
        var options = AppleConnections.Options(configuration);
        var country = (token.CountryOrRegion ?? "US").ToUpperInvariant();
        var credential = new MetadataCredentialStore(_context).Read();
        if (credential is not null)
        {
            var baseUrl = configuration.MetadataServiceUrl.Length > 0 ? new Uri(configuration.MetadataServiceUrl)
                : token.AccountType == VppTokenAccountType.education ? MetadataApiClient.EducationBaseUrl : MetadataApiClient.BusinessBaseUrl;
            using var signer = new DeveloperTokenSigner(credential.PrivateKeyPem, credential.TeamId, credential.KeyId, _context.Clock);
            var api = new MetadataApiClient(bearer, AppleConnections.HttpClient, signer, baseUrl, options, _context.Clock, _context.Observer);
            var storefront = country.ToLowerInvariant();
            var books = products.Where(p => p.IsBook).Select(p => p.AdamId).ToList();
            var apps = products.Where(p => !p.IsBook).Select(p => p.AdamId).ToList();
            var result = new List<AppMetadata>();
            if (apps.Count > 0) result.AddRange(await api.GetAppsAsync(storefront, apps, cancellationToken).ConfigureAwait(false));
            if (books.Count > 0) result.AddRange(await api.GetBooksAsync(storefront, books, cancellationToken).ConfigureAwait(false));
            return result;
        }
        if (service.Urls is null || !service.Urls.TryGetValue("contentMetadataLookup", out var lookup) || !Uri.TryCreate(lookup, UriKind.Absolute, out var lookupUrl))
            throw new VppException(VppErrorKind.AppleError, "VppNoMetadataLookup", "Apple's service/config names no contentMetadataLookup URL.");
        var legacy = new LegacyMetadataClient(bearer, AppleConnections.HttpClient, lookupUrl, defaultPlatform ?? "volumestore", country, options, _context.Clock, _context.Observer, rateLimiter);
        return await legacy.LookupAsync(products.Select(p => p.AdamId), cancellationToken).ConfigureAwait(false);
    }

    private void Save(IReadOnlyList<AppMetadata> metadata, DateTimeOffset now) => _context.Store.Write((c, t) =>
    {
        foreach (var m in metadata)
            c.Execute(t, """
                INSERT INTO asset_metadata (adam_id, name, bundle_id, artist_name, version, icon_url, platforms, is_b2b, fetched_at)
                VALUES ($id, $name, $bundle, $artist, $version, $icon, $platforms, $b2b, $at)
                ON CONFLICT (adam_id) DO UPDATE SET name = excluded.name, bundle_id = excluded.bundle_id, artist_name = excluded.artist_name,
                    version = excluded.version, icon_url = excluded.icon_url, platforms = excluded.platforms, is_b2b = excluded.is_b2b, fetched_at = excluded.fetched_at
                """,
                ("$id", m.AdamId), ("$name", m.Name), ("$bundle", m.BundleId), ("$artist", m.ArtistName), ("$version", m.Version), ("$icon", m.IconUrl),
                ("$platforms", string.Join(",", m.Platforms)), ("$b2b", m.IsB2BCustomApp ? 1 : 0), ("$at", now.ToStored()));
    });
}
