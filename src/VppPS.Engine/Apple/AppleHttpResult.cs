using System.Net;
using System.Text.Json;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>One HTTP attempt as the retry pipeline judges it: status, Retry-After, body and any Apple error in it.</summary>
internal sealed record AppleHttpResult
{
    public required HttpStatusCode Status { get; init; }
    public required byte[] Body { get; init; }
    public TimeSpan? RetryAfter { get; init; }
    /// <summary>errorNumber/errorMessage found at the top level of the body, whatever the status.</summary>
    public AppleErrorBody? Error { get; init; }
    /// <summary>How many 9603 answers in a row this call has had, this one included.</summary>
    public int ConsecutiveInternalErrors { get; init; }
    /// <summary>A successful answer's body as read by the caller's parser (see AppleHttpSender.SendAsync).</summary>
    public object? Value { get; init; }
    /// <summary>Why a successful answer's body could not be read (not JSON, cut short, empty): retried like a 5xx.</summary>
    public Exception? ReadFailure { get; init; }

    public bool IsSuccess => Error is null && (int)Status is >= 200 and < 300;

    public static async Task<AppleHttpResult> ReadAsync(HttpResponseMessage response, IClock clock, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new AppleHttpResult
        {
            Status = response.StatusCode,
            Body = body,
            RetryAfter = ReadRetryAfter(response, clock),
            Error = FindError(body),
        };
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response, IClock clock)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - clock.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>
    /// Reads only the top-level errorNumber and errorMessage, skipping everything else without
    /// allocating. Apple's error answers are flat, so the scan ends at the first top-level array:
    /// a page of a thousand assignments is data, and tokenizing it twice would cost a tenth of a
    /// sync (an error number after such an array is still caught once the page is deserialized).
    /// A body that is not JSON has no error.
    /// </summary>
    internal static AppleErrorBody? FindError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            int? number = null;
            string? message = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isNumber = reader.ValueTextEquals("errorNumber"u8);
                var isMessage = !isNumber && reader.ValueTextEquals("errorMessage"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                    break;
                if (isNumber && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n))
                    number = n;
                else if (isNumber && reader.TokenType == JsonTokenType.String && int.TryParse(reader.GetString(), out var s))
                    number = s;
                else if (isMessage && reader.TokenType == JsonTokenType.String)
                    message = reader.GetString();
                else
                    reader.Skip();
            }
            return number is null ? null : new AppleErrorBody { ErrorNumber = number.Value, ErrorMessage = message };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
