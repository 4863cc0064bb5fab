using System.Text.Json;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple.Metadata;

/// <summary>
/// Apple's Apps and Books Metadata for Organizations API (catalog/{storefront}/stoken-authenticated-apps
/// and -books), authenticated by an ES256 developer token plus the sToken in an itvt cookie.
/// </summary>
public sealed class MetadataApiClient
{
    public static readonly Uri BusinessBaseUrl = new("https://api.ent.apple.com/v1");
    public static readonly Uri EducationBaseUrl = new("https://api.edu.apple.com/v1");

    /// <summary>Products per request.</summary>
    public const int BatchSize = 100;

    private readonly string _sToken;
    private readonly DeveloperTokenSigner _signer;
    private readonly Uri _baseUrl;
    private readonly AppleHttpSender _sender;

    /// <param name="baseUrl">BusinessBaseUrl (the default) or EducationBaseUrl, or a test server.</param>
    public MetadataApiClient(string sToken, HttpClient httpClient, DeveloperTokenSigner signer, Uri? baseUrl = null,
        AppleClientOptions? options = null, IClock? clock = null, IOperationObserver? observer = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sToken);
        _sToken = sToken.Trim();
        _signer = signer;
        _baseUrl = baseUrl ?? BusinessBaseUrl;
        _sender = new AppleHttpSender(httpClient, options ?? new AppleClientOptions(), clock ?? SystemClock.Instance,
            observer ?? NullObserver.Instance, rateLimiter: null);
    }

    public long RequestCount => _sender.RequestCount;

    /// <param name="storefront">Two-letter storefront, e.g. "us" (client/config's countryISO2ACode in lower case).</param>
    public Task<IReadOnlyList<AppMetadata>> GetAppsAsync(string storefront, IEnumerable<string> adamIds, CancellationToken cancellationToken = default) =>
        GetAsync(storefront, "stoken-authenticated-apps", "App", adamIds,
            q => q.Add("platform", "iphone").Add("additionalPlatforms", "ipad,mac").Add("extend[apps]", "latestVersionInfo"), cancellationToken);

    public Task<IReadOnlyList<AppMetadata>> GetBooksAsync(string storefront, IEnumerable<string> adamIds, CancellationToken cancellationToken = default) =>
        GetAsync(storefront, "stoken-authenticated-books", "Book", adamIds, q => q, cancellationToken);

    private async Task<IReadOnlyList<AppMetadata>> GetAsync(string storefront, string resource, string productType, IEnumerable<string> adamIds,
        Func<QueryString, QueryString> addParameters, CancellationToken cancellationToken)
    {
        var found = new List<AppMetadata>();
        foreach (var batch in adamIds.Distinct(StringComparer.Ordinal).Chunk(BatchSize))
        {
            var query = addParameters(new QueryString().Add("ids", string.Join(",", batch)));
            var url = new Uri($"{_baseUrl.AbsoluteUri.TrimEnd('/')}/catalog/{Uri.EscapeDataString(storefront.ToLowerInvariant())}/{resource}{query}");
            var label = AppleHttpSender.Label(HttpMethod.Get, url);
            var result = await _sender.SendAsync(HttpMethod.Get, url, null, headers =>
            {
                headers.TryAddWithoutValidation("Authorization", "Bearer " + _signer.GetToken());
                headers.TryAddWithoutValidation("Cookie", "itvt=" + _sToken);
            }, cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
                throw ErrorFrom(result, label);
            found.AddRange(Parse(result.Body, productType, label));
        }
        return found;
    }

    internal static IReadOnlyList<AppMetadata> Parse(byte[] body, string productType, string label)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var data = MetadataJson.Child(document.RootElement, "data");
            return data.ValueKind == JsonValueKind.Array ? data.EnumerateArray().Select(d => FromData(d, productType)).ToList() : [];
        }
        catch (JsonException ex)
        {
            throw AppleErrors.BadResponse(label, ex);
        }
    }

    private static AppMetadata FromData(JsonElement item, string productType)
    {
        var attributes = MetadataJson.Child(item, "attributes");
        var platforms = MetadataJson.Child(attributes, "platformAttributes");
        // iOS first; a Mac-only app has only osx.
        var platform = MetadataJson.Child(platforms, "ios") is { ValueKind: JsonValueKind.Object } ios ? ios : MetadataJson.Child(platforms, "osx");
        var artwork = MetadataJson.Child(platform, "artwork") is { ValueKind: JsonValueKind.Object } a ? a : MetadataJson.Child(attributes, "artwork");
        return new AppMetadata(
            MetadataJson.String(item, "id") ?? "",
            MetadataJson.String(attributes, "name"),
            MetadataJson.String(platform, "bundleId"),
            MetadataJson.String(attributes, "artistName"),
            MetadataJson.String(MetadataJson.Child(platform, "latestVersionInfo"), "versionDisplay")?.Trim(),
            MetadataJson.IconUrl(artwork),
            MetadataJson.Strings(attributes, "deviceFamilies"),
            MetadataJson.Bool(attributes, "isB2BCustomApp") ?? false,
            MetadataJson.Bool(attributes, "isVppDeviceBasedLicensingEnabled"),
            productType);
    }

    /// <summary>Reads {"errors":[{id,title,detail,status,code}]}; never includes a token.</summary>
    private static VppException ErrorFrom(AppleHttpResult result, string label)
    {
        string? detail = null, code = null;
        try
        {
            using var document = JsonDocument.Parse(result.Body);
            var first = MetadataJson.Child(document.RootElement, "errors") is { ValueKind: JsonValueKind.Array } errors
                ? errors.EnumerateArray().FirstOrDefault()
                : default;
            detail = MetadataJson.String(first, "detail") ?? MetadataJson.String(first, "title");
            code = MetadataJson.String(first, "code");
        }
        catch (JsonException)
        {
            // Not JSON: the status says enough.
        }
        if (detail is null)
            return AppleErrors.FromHttpStatus(result.Status, label);
        var kind = (int)result.Status is 429 or >= 500 ? VppErrorKind.ServiceUnavailable : VppErrorKind.AppleError;
        return new VppException(kind, "VppAppleMetadataError",
            $"Apple's metadata API refused {label} with HTTP {(int)result.Status}{(code is null ? "" : $" (code {code})")}: {detail}", label);
    }
}
