using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>Apple's ErrorResponse: the body of a failed request, and each item of a status's failures.</summary>
public sealed record AppleErrorBody
{
    [JsonPropertyName("errorNumber")] public int ErrorNumber { get; init; }
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("errorInfo")] public AppleErrorInfo? ErrorInfo { get; init; }
}

/// <summary>The targets an error is about (ResponseErrorInfo).</summary>
public sealed record AppleErrorInfo
{
    [JsonPropertyName("assets")] public IReadOnlyList<RequestAsset>? Assets { get; init; }
    [JsonPropertyName("clientUserIds")] public IReadOnlyList<string>? ClientUserIds { get; init; }
    [JsonPropertyName("serialNumbers")] public IReadOnlyList<string>? SerialNumbers { get; init; }
}
