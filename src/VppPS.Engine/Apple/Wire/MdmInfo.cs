using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>Which MDM claims the location (Apple's MdmInfo): set through client/config, echoed on every response.</summary>
public sealed record MdmInfo
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("metadata")] public string? Metadata { get; init; }
}
