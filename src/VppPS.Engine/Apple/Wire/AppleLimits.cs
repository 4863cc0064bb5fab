namespace VppPS.Engine.Apple.Wire;

/// <summary>
/// The service/config limits the client obeys. Defaults are the values of Apple's example,
/// used when a key is missing. Apple's limits are an open, dynamic map: every key Apple sent is
/// kept in <see cref="All"/>, known or not.
/// </summary>
public sealed record AppleLimits
{
    public int MaxAssets { get; init; } = 25;
    public int MaxClientUserIds { get; init; } = 1000;
    public int MaxSerialNumbers { get; init; } = 1000;
    public int MaxRevokeClientUserIds { get; init; } = 100;
    public int MaxRevokeSerialNumbers { get; init; } = 100;
    public int MaxUsers { get; init; } = 100;
    public int MaxRequestPerSecond { get; init; } = 15;
    /// <summary>Unique adamIds per subscription associate/disassociate request (2026).</summary>
    public int MaxSubscriptions { get; init; } = 25;
    /// <summary>Unique clientUserIds per subscription associate/disassociate request (2026).</summary>
    public int MaxSubscriptionClientUserIds { get; init; } = 1000;

    /// <summary>Every limit service/config listed, new keys included.</summary>
    public IReadOnlyDictionary<string, int> All { get; init; } = new Dictionary<string, int>();

    public static AppleLimits Default { get; } = new();

    public static AppleLimits From(IReadOnlyDictionary<string, int>? limits)
    {
        if (limits is null)
            return Default;
        int Get(string key, int fallback) => limits.TryGetValue(key, out var v) && v > 0 ? v : fallback;
        return new AppleLimits
        {
            MaxAssets = Get("maxAssets", Default.MaxAssets),
            MaxClientUserIds = Get("maxClientUserIds", Default.MaxClientUserIds),
            MaxSerialNumbers = Get("maxSerialNumbers", Default.MaxSerialNumbers),
            MaxRevokeClientUserIds = Get("maxRevokeClientUserIds", Default.MaxRevokeClientUserIds),
            MaxRevokeSerialNumbers = Get("maxRevokeSerialNumbers", Default.MaxRevokeSerialNumbers),
            MaxUsers = Get("maxUsers", Default.MaxUsers),
            MaxRequestPerSecond = Get("maxRequestPerSecond", Default.MaxRequestPerSecond),
            MaxSubscriptions = Get("maxSubscriptions", Default.MaxSubscriptions),
            MaxSubscriptionClientUserIds = Get("maxSubscriptionClientUserIds", Default.MaxSubscriptionClientUserIds),
            All = new Dictionary<string, int>(limits, StringComparer.Ordinal),
        };
    }
}
