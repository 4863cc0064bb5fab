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

    /// <summary>Apple's host could not be reached, or the connection broke, after the retries that make sense for the cause.</summary>
    public static VppException Unreachable(string endpoint, Uri url, Exception inner)
    {
        var (cause, hostDown) = Describe(inner);
        var host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        return new VppException(VppErrorKind.ServiceUnavailable, "VppAppleUnreachable",
            $"Apple could not be reached at {host} for {endpoint}: {cause}. " +
            (hostDown ? "Check the network, the DNS and any proxy or firewall (and VPPPS_SERVICE_URL or Set-VppConfiguration -ServiceUrl when a simulator is meant), then run again."
                      : "Check the network and run again."),
            host, inner) { UnreachableHost = hostDown ? host : null };
    }

    /// <summary>
    /// The cause of a transport failure in words, and whether the host cannot be reached at all
    /// (its name does not resolve, it refuses the connection or TLS, no route to it): retrying
    /// that within seconds does not help, and other calls to the same host fail alike.
    /// </summary>
    public static (string Cause, bool HostDown) Describe(Exception e)
    {
        var socket = Inner<System.Net.Sockets.SocketException>(e);
        if (e is HttpRequestException http)
            switch (http.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return ("the host name could not be resolved (DNS failure" + (socket is null ? ")" : $": {socket.Message})"), true);
                case HttpRequestError.SecureConnectionError:
                    return ($"the TLS connection failed ({Innermost(e).Message})", true);
                case HttpRequestError.ConnectionError when socket is not null:
                    return socket.SocketErrorCode switch
                    {
                        System.Net.Sockets.SocketError.ConnectionRefused => ("the connection was refused (nothing listens there)", true),
                        System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData => ($"the host name could not be resolved (DNS failure: {socket.Message})", true),
                        System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable => ($"there is no route to the host ({socket.Message})", true),
                        System.Net.Sockets.SocketError.TimedOut => ("connecting timed out", false),
                        _ => ($"the connection failed ({socket.Message})", false),
                    };
            }
        if (socket?.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused) return ("the connection was refused (nothing listens there)", true);
        if (socket?.SocketErrorCode is System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData)
            return ($"the host name could not be resolved (DNS failure: {socket.Message})", true);
        if (Inner<System.Security.Authentication.AuthenticationException>(e) is { } tls) return ($"the TLS connection failed ({tls.Message})", true);
        return e is IOException ? ($"the connection broke ({Innermost(e).Message})", false) : ($"{e.GetType().Name}: {Innermost(e).Message}", false);
    }

    private static T? Inner<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    public static VppException TimedOut(string endpoint, Exception inner) =>
        new(VppErrorKind.ServiceUnavailable, "VppAppleTimeout",
            $"Apple did not answer {endpoint} in time (no answer within the request timeout), after every retry. Run again later.", endpoint, inner);

    public static VppException Unreadable(string endpoint, Exception inner) =>
        new(VppErrorKind.ServiceUnavailable, "VppAppleBadResponse",
            $"Apple's answer to {endpoint} could not be read ({inner.Message}), after every retry. Try again later.", endpoint, inner);

    public static VppException BadResponse(string endpoint, Exception inner) =>
        new(VppErrorKind.Unexpected, "VppAppleBadResponse",
            $"Apple's answer to {endpoint} could not be read ({inner.Message}).", endpoint, inner);
}
