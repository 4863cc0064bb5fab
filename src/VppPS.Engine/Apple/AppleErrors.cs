using System.Net;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>Turns what Apple answered into the engine's one exception type.</summary>
internal static class AppleErrors
{
    /// <param name="status">The HTTP status it came with: an error number this client does not know, sent with a 5xx, means Apple is unavailable.</param>
    public static VppException FromAppleError(AppleErrorBody error, string endpoint, int consecutiveInternalErrors, HttpStatusCode? status = null)
    {
        var number = error.ErrorNumber;
        var said = string.IsNullOrWhiteSpace(error.ErrorMessage) ? "" : $": {error.ErrorMessage}";
        var (kind, id, message) = number switch
        {
            AppleErrorNumbers.TokenExpired => (VppErrorKind.TokenExpired, "VppTokenExpired",
                $"The content token has expired (Apple error {number}{said}). Download a new token from Apple Business Manager or Apple School Manager."),
            AppleErrorNumbers.TokenRevoked => (VppErrorKind.TokenInvalid, "VppTokenRevoked",
                $"Apple has revoked the content token (Apple error {number}{said}). Download a new token."),
            AppleErrorNumbers.InvalidToken or AppleErrorNumbers.LoginRequired or AppleErrorNumbers.InvalidAuthorizationHeader =>
                (VppErrorKind.TokenInvalid, "VppTokenInvalid",
                $"Apple does not accept the content token (Apple error {number}{said}). Check that the whole .vpptoken file was used, or download a new token."),
            AppleErrorNumbers.TooManyRequests => (VppErrorKind.ServiceUnavailable, "VppAppleRateLimited",
                $"Apple kept refusing requests as too many (Apple error {number}{said}) after every retry. Run again in a few minutes."),
            AppleErrorNumbers.InternalError when consecutiveInternalErrors >= 2 => (VppErrorKind.ServiceUnavailable, "VppAppleInternalError",
                $"Apple had {consecutiveInternalErrors} internal errors in a row (Apple error {number}{said}). Run again in a few minutes."),
            AppleErrorNumbers.InternalError => (VppErrorKind.ServiceUnavailable, "VppAppleInternalError",
                $"Apple had an internal error (Apple error {number}{said}). Run again in a few minutes."),
            AppleErrorNumbers.TemporarilyUnavailable or AppleErrorNumbers.Maintenance => (VppErrorKind.ServiceUnavailable, "VppAppleUnavailable",
                $"Apple's service is unavailable (Apple error {number}{said}) and stayed so after every retry of {endpoint}. Try again later."),
            _ when (int?)status >= 500 => (VppErrorKind.ServiceUnavailable, "VppAppleUnavailable",
                $"Apple's service is unavailable: it answered {endpoint} with HTTP {(int)status!} (Apple error {number}{said}) after every retry. Try again later."),
            _ => (VppErrorKind.AppleError, $"VppAppleError{number}",
                $"Apple refused {endpoint} with error {number}{said}."),
        };
        return new VppException(kind, id, message, endpoint) { AppleErrorNumber = number };
    }

    public static VppException FromHttpStatus(HttpStatusCode status, string endpoint)
    {
        var code = (int)status;
        if (status == HttpStatusCode.TooManyRequests)
            return new VppException(VppErrorKind.ServiceUnavailable, "VppAppleRateLimited",
                $"Apple kept answering {endpoint} with 429 Too Many Requests after every retry. Run again in a few minutes.", endpoint);
        if (code >= 500)
            return new VppException(VppErrorKind.ServiceUnavailable, "VppAppleUnavailable",
                $"Apple answered {endpoint} with HTTP {code} after every retry. Run again later.", endpoint);
        return new VppException(VppErrorKind.AppleError, "VppAppleHttpError",
            $"Apple answered {endpoint} with HTTP {code} and no error details.", endpoint);
    }

    public static VppException Unreachable(string endpoint, Exception inner) =>
        new(VppErrorKind.ServiceUnavailable, "VppAppleUnreachable",
            $"Apple could not be reached for {endpoint} after every retry ({inner.GetType().Name}). Check the network and run again.", endpoint, inner);

    public static VppException TimedOut(string endpoint, Exception inner) =>
        new(VppErrorKind.ServiceUnavailable, "VppAppleTimeout",
            $"Apple did not answer {endpoint} in time, after every retry. Run again later.", endpoint, inner);

    public static VppException Unreadable(string endpoint, Exception inner) =>
        new(VppErrorKind.ServiceUnavailable, "VppAppleBadResponse",
            $"Apple's answer to {endpoint} could not be read ({inner.Message}), after every retry. Try again later.", endpoint, inner);

    public static VppException BadResponse(string endpoint, Exception inner) =>
        new(VppErrorKind.Unexpected, "VppAppleBadResponse",
            $"Apple's answer to {endpoint} could not be read ({inner.Message}).", endpoint, inner);
}
