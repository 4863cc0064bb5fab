using System.Text.Json;
using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>
/// An Apple product id as the engine keeps it: a string of digits. The subscription endpoints
/// send adamIds as JSON integers (asset endpoints as strings); either is accepted in an answer,
/// and null stays null (a subscription's parentAdamId "can be null").
/// </summary>
public sealed class AppleIdConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : throw new JsonException("an adamId is not a whole number");
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Null:
                return null;
            default:
                throw new JsonException($"an adamId is a {reader.TokenType}, neither a number nor a string");
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) writer.WriteNumberValue(n);
        else writer.WriteStringValue(value);
    }
}
