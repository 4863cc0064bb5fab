namespace VppPS.Engine.Apple;

/// <summary>The errorNumbers the client treats specially (Apple's handling-error-responses).</summary>
public static class AppleErrorNumbers
{
    public const int LoginRequired = 9601;
    public const int InternalError = 9603;
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
}
