using System.Text.Json;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple.Metadata;

/// <summary>
/// Apple's legacy content metadata lookup (service/config's urls["contentMetadataLookup"]),
/// authenticated by the sToken in an itvt cookie so that custom B2B apps are found too.
/// </summary>
public sealed class LegacyMetadataClient
{
    /// <summary>Products per lookup request.</summary>
    public const int BatchSize = 100;

    private readonly string _sToken;
    private readonly Uri _lookupUrl;
    private readonly string _platform;
    private readonly string _country;
    private readonly AppleHttpSender _sender;

    /// <param name="lookupUrl">service/config's urls["contentMetadataLookup"].</param>
    /// <param name="platform">client/config's defaultPlatform (volumestore or enterprisestore).</param>
    /// <param name="country">client/config's countryISO2ACode.</param>
    /// <param name="rateLimiter">The token's limiter: the lookup is authenticated by the same sToken, whose limit is per location.</param>
    public LegacyMetadataClient(string sToken, HttpClient httpClient, Uri lookupUrl, string platform, string country,
        AppleClientOptions? options = null, IClock? clock = null, IOperationObserver? observer = null, AppleRequestRateLimiter? rateLimiter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sToken);
        _sToken = sToken.Trim();
        _lookupUrl = lookupUrl;
        _platform = platform;
        _country = country;
        _sender = new AppleHttpSender(httpClient, options ?? new AppleClientOptions(), clock ?? SystemClock.Instance,
            observer ?? NullObserver.Instance, rateLimiter);
    }

    public long RequestCount => _sender.RequestCount;

    /// <summary>Metadata of the products Apple knows; unknown or inaccessible ids are left out.</summary>
    public async Task<IReadOnlyList<AppMetadata>> LookupAsync(IEnumerable<string> adamIds, CancellationToken cancellationToken = default)
    {
        var found = new List<AppMetadata>();
        foreach (var batch in adamIds.Distinct(StringComparer.Ordinal).Chunk(BatchSize))
        {
            var query = new QueryString()
                .Add("version", "2").Add("id", string.Join(",", batch)).Add("p", "mdm-lockup").Add("caller", "MDM")
                .Add("platform", _platform).Add("cc", _country).Add("l", "en");
            var url = new Uri(_lookupUrl.GetLeftPart(UriPartial.Path) + query);
            var result = await _sender.SendAsync(HttpMethod.Get, url, null,
                headers => headers.TryAddWithoutValidation("Cookie", "itvt=" + _sToken), cancellationToken).ConfigureAwait(false);
            var label = AppleHttpSender.Label(HttpMethod.Get, url);
            if (!result.IsSuccess)
                throw result.Error is { } error ? AppleErrors.FromAppleError(error, label, 0) : AppleErrors.FromHttpStatus(result.Status, label);
            found.AddRange(Parse(result.Body, label));
        }
        return found;
    }

    internal static IReadOnlyList<AppMetadata> Parse(byte[] body, string label)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var results = MetadataJson.Child(document.RootElement, "results");
            if (results.ValueKind != JsonValueKind.Object)
                return [];
            return results.EnumerateObject().Select(p => FromResult(p.Name, p.Value)).ToList();
        }
        catch (JsonException ex)
        {
            throw AppleErrors.BadResponse(label, ex);
        }
    }

    private static AppMetadata FromResult(string adamId, JsonElement app)
    {
        var offers = MetadataJson.Child(app, "offers");
        var version = offers.ValueKind == JsonValueKind.Array
            ? offers.EnumerateArray().Select(o => MetadataJson.String(MetadataJson.Child(o, "version"), "display")).FirstOrDefault(v => v is not null)
            : null;
        var kind = MetadataJson.String(app, "kind");
        return new AppMetadata(
            MetadataJson.String(app, "id") ?? adamId,
            MetadataJson.String(app, "name"),
            MetadataJson.String(app, "bundleId"),
            MetadataJson.String(app, "artistName"),
            version?.Trim(),
            MetadataJson.IconUrl(MetadataJson.Child(app, "artwork")),
            MetadataJson.Strings(app, "deviceFamilies"),
            MetadataJson.Bool(app, "isB2BCustomApp") ?? false,
            MetadataJson.Bool(app, "isVppDeviceBasedLicensingEnabled"),
            kind is null ? null : kind.Contains("book", StringComparison.OrdinalIgnoreCase) ? "Book" : kind.Contains("Software", StringComparison.OrdinalIgnoreCase) ? "App" : null);
    }
}
