namespace VppPS.Engine.Apple;

/// <summary>The errorNumbers the client treats specially (Apple's handling-error-responses).</summary>
public static class AppleErrorNumbers
{
    public const int LoginRequired = 9601;
    public const int InternalError = 9603;
    /// <summary>Apple knows no registered (active) user with the clientUserId (in an event's failures).</summary>
    public const int RegisteredUserNotFound = 9609;
    public const int TokenExpired = 9621;
    public const int InvalidToken = 9622;
    public const int TokenRevoked = 9625;
    /// <summary>The service is undergoing maintenance (503).</summary>
    public const int Maintenance = 9644;
    public const int TooManyRequests = 9646;
    public const int InvalidPageIndex = 9650;
    public const int InvalidAuthorizationHeader = 9722;
    /// <summary>status: Apple does not know the eventId.</summary>
    public const int UnknownEvent = 9708;
    /// <summary>users/create (in the event): a user with that clientUserId already exists.</summary>
    public const int UserAlreadyExists = 9716;
    /// <summary>users/retire (in the event): the user is already retired.</summary>
    public const int UserAlreadyRetired = 9618;
    /// <summary>The service is temporarily unavailable (503).</summary>
    public const int TemporarilyUnavailable = 9729;
    /// <summary>Identical requests sent too often: wait before sending the same request again.</summary>
    public const int RepeatedTooOften = 9632;
    /// <summary>The license is locked by a pending transfer between organizational units.</summary>
    public const int LockedByTransfer = 9643;
    /// <summary>Not enough licenses (or subscription seats) for the request.</summary>
    public const int NotEnoughLicenses = 9709;

    // Subscriptions (2026, spec 2.10.8); all synchronous, HTTP 400.
    public const int SubscriptionRequestInvalid = 9811;
    public const int SubscriptionCursorInvalid = 9812;
    public const int SubscriptionAdamIdInvalid = 9813;
    public const int SubscriptionUserNotFound = 9814;
    public const int SubscriptionNotAssigned = 9815;
    public const int SubscriptionLimitExceeded = 9816;
    /// <summary>Before 2026-08-13 Apple documented this number for the limits; treated as 9816.</summary>
    public const int SubscriptionLimitExceededOld = 9805;
    public const int SubscriptionViaGroup = 9817;
    public const int SubscriptionsExist = 9818;
}
