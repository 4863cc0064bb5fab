using System.Globalization;

namespace VppPS.Engine.Configuration;

/// <summary>Every setting VppPS knows, with its default and its validation rule.</summary>
public static class SettingsCatalog
{
    public const string ProductionServiceUrl = "https://vpp.itunes.apple.com/mdm/v2";

    public static readonly SettingDefinition ServiceUrl = new("ServiceUrl", "VPPPS_SERVICE_URL", ProductionServiceUrl,
        "Base URL of Apple's Apps and Books service (v2).", ValidateUrl);
    public static readonly SettingDefinition TokenCap = new("TokenCap", "VPPPS_TOKEN_CAP", "256",
        "Most content tokens one installation may hold.", v => ValidateInt(v, 1, 100_000));
    public static readonly SettingDefinition SyncIntervalHours = new("SyncIntervalHours", "VPPPS_SYNC_INTERVAL_HOURS", "12",
        "Hours between scheduled syncs; a token whose last sync is older than twice this is reported by Test-VppToken.", v => ValidateInt(v, 1, 168));
    public static readonly SettingDefinition StatusPollIntervalSeconds = new("StatusPollIntervalSeconds", "VPPPS_STATUS_POLL_INTERVAL_SECONDS", "30",
        "Seconds between polls of a pending Apple event. Apple asks for 30 or more, and VppPS never polls Apple faster; a lower value applies only to a simulator or test service.", v => ValidateDouble(v, 0, 3600));

    public static readonly SettingDefinition LeaseMinutes = new("LeaseMinutes", "VPPPS_LEASE_MINUTES", "3",
        "Minutes a token's lease (held by a sync, an assignment being applied, a token removal) lasts without a heartbeat; a run that stopped renewing it is taken over after this.",
        v => ValidateInt(v, 1, 60));

    public static readonly SettingDefinition MetadataServiceUrl = new("MetadataServiceUrl", "VPPPS_METADATA_SERVICE_URL", "",
        "Base URL of Apple's Apps and Books metadata API, used with Set-VppMetadataCredential; empty: api.ent.apple.com/v1 for business tokens, api.edu.apple.com/v1 for education.",
        v => v.Length == 0 ? null : ValidateUrl(v));

    public static readonly IReadOnlyList<SettingDefinition> All = [ServiceUrl, TokenCap, SyncIntervalHours, StatusPollIntervalSeconds, MetadataServiceUrl, LeaseMinutes];

    public static SettingDefinition Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new VppException(VppErrorKind.InvalidArgument, "VppUnknownSetting",
            $"'{name}' is not a VppPS setting. Known settings: {string.Join(", ", All.Select(d => d.Name))}, DataFolder.", name);

    private static string? ValidateUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? null
            : $"'{value}' is not an absolute http or https URL, such as {ProductionServiceUrl}.";

    private static string? ValidateInt(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? null
            : $"'{value}' must be a whole number from {min} to {max}.";

    private static string? ValidateDouble(string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? null
            : $"'{value}' must be a number from {min} to {max}.";
}
