namespace VppPS.Simulator;

/// <summary>Error numbers, their messages (served by service/config) and their HTTP statuses.</summary>
internal static class ErrorCatalog
{
    public static readonly (int Number, string Message, int Status)[] All =
    [
        (9601, "Login required.", 401),
        (9602, "Invalid argument.", 400),
        (9603, "An internal error occurred. Please try again.", 500),
        (9609, "Registered user not found.", 400),
        (9610, "License not found.", 400),
        (9618, "User already retired.", 400),
        (9621, "The token has expired. You need to generate a new token online using your organization's account at either school.apple.com or business.apple.com.", 401),
        (9622, "Invalid authentication token", 401),
        (9623, "Invalid APNs token.", 400),
        (9625, "The server has revoked the sToken.", 401),
        (9634, "This service is no longer available.", 410),
        (9635, "Unable to associate the Apple Account with the user.", 400),
        (9637, "This operation isn't allowed for facilitator accounts.", 403),
        (9641, "This Apple Account is already associated with another user.", 400),
        (9644, "The service is undergoing maintenance. Please try again later.", 503),
        (9646, "There have been too many requests recently. Use an incremental/exponential backoff strategy.", 429),
        (9647, "This operation isn't supported for legacy tokens.", 403),
        (9650, "The page index is invalid.", 400),
        (9700, "The request contains more assets than the maximum allowed (maxAssets).", 400),
        (9701, "The request contains more client user IDs than the maximum allowed.", 400),
        (9702, "The request contains more serial numbers than the maximum allowed.", 400),
        (9703, "The request contains duplicate assets.", 400),
        (9704, "The request contains duplicate client user IDs.", 400),
        (9705, "The request contains duplicate serial numbers.", 400),
        (9706, "The asset isn't revocable.", 400),
        (9707, "The asset isn't device-assignable.", 400),
        (9708, "The event ID wasn't found.", 400),
        (9709, "There are not enough assets available to complete this association.", 400),
        (9710, "The notification URL and the notification auth token must be provided together.", 400),
        (9711, "The notification URL or auth token is longer than the maximum allowed (maxNotificationLength).", 400),
        (9712, "The notification URL isn't valid. It must be an HTTPS URL.", 400),
        (9713, "The MDM metadata is longer than the maximum allowed (maxMdmMetadataLength).", 400),
        (9714, "The request contains more users than the maximum allowed (maxUsers).", 400),
        (9715, "The request contains duplicate users.", 400),
        (9716, "A registered user already exists with the provided clientUserId.", 400),
        (9717, "The email address isn't valid.", 400),
        (9718, "The request doesn't contain any assets.", 400),
        (9719, "The request doesn't contain any client user IDs or serial numbers.", 400),
        (9720, "The request doesn't contain any users.", 400),
        (9721, "The version ID is invalid.", 400),
        (9722, "The Authorization header is invalid. It must be in the form 'Bearer {sToken}'.", 401),
        (9723, "The MDM name, ID and metadata are all required when setting mdmInfo.", 400),
        (9724, "The MDM ID is longer than the maximum allowed (maxMdmIdLength).", 400),
        (9725, "The MDM name is longer than the maximum allowed (maxMdmNameLength).", 400),
        (9726, "This request contains an unsupported HTTP method for the requested endpoint.", 405),
        (9727, "This request contains an unsupported Content-Type. Use application/json.", 415),
        (9728, "The notification URL is unreachable.", 400),
        (9729, "The service is temporarily unavailable. Please try again later.", 503),
        // 2026 subscription errors: Apple's messages (handling-error-responses), all HTTP 400.
        (9811, "The subscription association request is invalid.", 400),
        (9812, "The provided cursor is invalid.", 400),
        (9813, "The provided Adam ID is invalid.", 400),
        (9814, "Unable to find an associated registered user for the provided clientUserId.", 400),
        (9815, "The registered user isn't assigned the requested adamId.", 400),
        (9816, "This request exceeds the maximum subscriptions limit. Change the request to stay within the specified limit.", 400),
        (9817, "The user is already assigned to this subscription through group membership.", 400),
        (9818, "Subscriptions exist for the organizational unit, so subscription management can't be disabled.", 400),
    ];

    private static readonly Dictionary<int, (string Message, int Status)> ByNumber = All.ToDictionary(e => e.Number, e => (e.Message, e.Status));

    public static string Message(int n) => ByNumber.TryGetValue(n, out var e) ? e.Message : "Error.";
    public static int Status(int n) => ByNumber.TryGetValue(n, out var e) ? e.Status : 400;
}

/// <summary>Thrown inside a handler to answer an Apple error body.</summary>
internal sealed class AppleError : Exception
{
    public int Number { get; }
    public int HttpStatus { get; }
    public AppleError(int number, string? message = null, int? status = null) : base(message ?? ErrorCatalog.Message(number))
    {
        Number = number;
        HttpStatus = status ?? ErrorCatalog.Status(number);
    }
}
