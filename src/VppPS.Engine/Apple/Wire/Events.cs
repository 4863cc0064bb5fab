using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>POST assets/associate and assets/disassociate body.</summary>
public sealed record ManageAssetsRequest
{
    [JsonPropertyName("assets")] public required IReadOnlyList<RequestAsset> Assets { get; init; }

    [JsonPropertyName("clientUserIds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ClientUserIds { get; init; }

    [JsonPropertyName("serialNumbers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? SerialNumbers { get; init; }
}

/// <summary>POST assets/revoke body: revokes every revocable asset of these users and devices.</summary>
public sealed record RevokeAssetsRequest
{
    [JsonPropertyName("clientUserIds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? ClientUserIds { get; init; }

    [JsonPropertyName("serialNumbers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? SerialNumbers { get; init; }
}

/// <summary>The answer to every write: the id of the event to poll with status.</summary>
public sealed record EventResponse : AppleResponse
{
    [JsonPropertyName("eventId")] public string EventId { get; init; } = "";
}

/// <summary>GET status?eventId= answer.</summary>
public sealed record StatusResponse : AppleResponse
{
    public const string Pending = "PENDING";
    public const string Complete = "COMPLETE";
    public const string Failed = "FAILED";

    /// <summary>PENDING, COMPLETE or FAILED (FAILED also for a partial failure).</summary>
    [JsonPropertyName("eventStatus")] public string? EventStatus { get; init; }
    /// <summary>ASSOCIATE, DISASSOCIATE, REVOKE, CREATE, UPDATE or RETIRE.</summary>
    [JsonPropertyName("eventType")] public string? EventType { get; init; }
    [JsonPropertyName("numCompleted")] public int NumCompleted { get; init; }
    [JsonPropertyName("numRequested")] public int NumRequested { get; init; }
    [JsonPropertyName("failures")] public IReadOnlyList<AppleErrorBody>? Failures { get; init; }

    [JsonIgnore] public bool IsPending => string.Equals(EventStatus, Pending, StringComparison.OrdinalIgnoreCase);
}
