using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>The envelope fields Apple puts on every v2 response.</summary>
public abstract record AppleResponse
{
    /// <summary>When the content token expires; Apple may send it only near expiry.</summary>
    [JsonPropertyName("tokenExpirationDate"), JsonConverter(typeof(AppleDateConverter))]
    public DateTimeOffset? TokenExpirationDate { get; init; }

    /// <summary>The library identifier, the same for every token of one location.</summary>
    [JsonPropertyName("uId")] public string? UId { get; init; }

    /// <summary>The MDM that claimed the location; absent until one did.</summary>
    [JsonPropertyName("mdmInfo")] public MdmInfo? MdmInfo { get; init; }

    /// <summary>An error number Apple put after a top-level array (see AppleHttpResult.FindError).</summary>
    [JsonPropertyName("errorNumber"), JsonInclude] internal int? ErrorNumber { get; init; }

    [JsonPropertyName("errorMessage"), JsonInclude] internal string? ErrorMessage { get; init; }
}
