using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>GET service/config: the error list, limits, notification types and authoritative URLs.</summary>
public sealed record ServiceConfigResponse
{
    [JsonPropertyName("errorCodes")] public IReadOnlyList<AppleErrorBody>? ErrorCodes { get; init; }
    [JsonPropertyName("limits"), JsonConverter(typeof(OpenLimitsConverter))] public IReadOnlyDictionary<string, int>? Limits { get; init; }
    [JsonPropertyName("notificationTypes")] public IReadOnlyList<string>? NotificationTypes { get; init; }
    [JsonPropertyName("urls")] public IReadOnlyDictionary<string, string>? Urls { get; init; }

    /// <summary>The limits with Apple's documented example values where a key is missing.</summary>
    [JsonIgnore] public AppleLimits EffectiveLimits => AppleLimits.From(Limits);
}
