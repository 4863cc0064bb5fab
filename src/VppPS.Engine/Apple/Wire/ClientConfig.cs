using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>POST client/config body; Apple changes only the fields present.</summary>
public sealed record ClientConfigRequest
{
    [JsonPropertyName("mdmInfo"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MdmInfo? MdmInfo { get; init; }

    [JsonPropertyName("notificationUrl"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NotificationUrl { get; init; }

    /// <summary>A secret: never logged.</summary>
    [JsonPropertyName("notificationAuthToken"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NotificationAuthToken { get; init; }

    /// <summary>The complete set of notification types to subscribe to.</summary>
    [JsonPropertyName("notificationTypes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? NotificationTypes { get; init; }
}

/// <summary>GET and POST client/config answer.</summary>
public sealed record ClientConfigResponse : AppleResponse
{
    [JsonPropertyName("countryISO2ACode")] public string? CountryISO2ACode { get; init; }
    /// <summary>volumestore or enterprisestore.</summary>
    [JsonPropertyName("defaultPlatform")] public string? DefaultPlatform { get; init; }
    [JsonPropertyName("locationName")] public string? LocationName { get; init; }
    [JsonPropertyName("notificationAuthToken")] public string? NotificationAuthToken { get; init; }
    [JsonPropertyName("notificationUrl")] public string? NotificationUrl { get; init; }
    [JsonPropertyName("subscribedNotificationTypes")] public IReadOnlyList<string>? SubscribedNotificationTypes { get; init; }
    [JsonPropertyName("websiteURL")] public string? WebsiteUrl { get; init; }
}
