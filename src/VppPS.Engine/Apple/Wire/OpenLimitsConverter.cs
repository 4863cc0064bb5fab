using System.Text.Json;
using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>
/// Reads service/config's limits as the open map Apple says it is (2026: "the set of keys
/// varies ... and can change without notice"): every key with a whole-number value is kept
/// (a number too large for int32 as int.MaxValue, digits in a string as the number); a value
/// of any other shape is skipped instead of failing the whole answer.
/// </summary>
public sealed class OpenLimitsConverter : JsonConverter<IReadOnlyDictionary<string, int>?>
{
    public override IReadOnlyDictionary<string, int>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }
        var limits = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.Number when reader.TryGetInt64(out var n):
                    limits[key] = (int)Math.Clamp(n, int.MinValue, int.MaxValue);
                    break;
                case JsonTokenType.String when long.TryParse(reader.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var s):
                    limits[key] = (int)Math.Clamp(s, int.MinValue, int.MaxValue);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return limits;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, int>? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartObject();
        foreach (var (key, limit) in value)
            writer.WriteNumber(key, limit);
        writer.WriteEndObject();
    }
}
