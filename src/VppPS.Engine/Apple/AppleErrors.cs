using System.Net;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>Turns what Apple answered into the engine's one exception type.</summary>
internal static class AppleErrors
{
    public static VppException FromAppleError(AppleErrorBody error, string endpoint, int consecutiveInternalErrors)
    {
        var number = error.ErrorNumber;
        var said = string.IsNullOrWhiteSpace(error.ErrorMessage) ? "" : $": {error.ErrorMessage}";
        var (kind, id, message) = number switch
        {
            AppleErrorNumbers.TokenExpired => (VppErrorKind.TokenExpired, "VppTokenExpired",
                $"The content token has expired (Apple error {number}{said}). Download a new token from Apple Business / Apple School Manager."),
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
            AppleErrorNumbers.RepeatedTooOften => (VppErrorKind.ServiceUnavailable, "VppAppleRepeatedTooOften",
                $"Apple refused {endpoint} because the same request was sent too often (Apple error {number}{said}). VppPS waits before sending it again; nothing to do now."),
            AppleErrorNumbers.LockedByTransfer => (VppErrorKind.Conflict, "VppAppleLockedByTransfer",
                $"Apple refused {endpoint}: the license is locked by a transfer between organizational units (locations) that is not finished (Apple error {number}{said}). " +
                "Finish or cancel the transfer in Apple Business / Apple School Manager; VppPS tries again later."),
            AppleErrorNumbers.SubscriptionsExist => (VppErrorKind.Conflict, "VppSubscriptionsExist",
                $"Subscription management cannot be disabled: the organizational unit (location) still owns subscriptions (Apple error {number}{said}). " +
                "It stays enabled; disable it once the subscriptions have ended in Apple Business / Apple School Manager."),
            AppleErrorNumbers.SubscriptionViaGroup => (VppErrorKind.Conflict, "VppSubscriptionViaGroup",
                $"Apple refused {endpoint}: the seat comes from a group in Apple Business / Apple School Manager (Apple error {number}{said}). Change it there."),
            AppleErrorNumbers.SubscriptionUserNotFound => (VppErrorKind.NotFound, "VppSubscriptionUserNotFound",
                $"Apple refused {endpoint}: a user is not an active VPP user of the organizational unit (location) (Apple error {number}{said}). Sync the token and try again."),
            AppleErrorNumbers.SubscriptionLimitExceeded or AppleErrorNumbers.SubscriptionLimitExceededOld => (VppErrorKind.AppleError, "VppSubscriptionLimitExceeded",
                $"Apple refused {endpoint}: more subscriptions or users in one request than Apple's current limits allow (Apple error {number}{said}). Run the command again: VppPS reads the limits anew."),
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

    public static VppException BadResponse(string endpoint, Exception inner) =>
        new(VppErrorKind.Unexpected, "VppAppleBadResponse",
            $"Apple's answer to {endpoint} could not be read ({inner.Message}).", endpoint, inner);
}
