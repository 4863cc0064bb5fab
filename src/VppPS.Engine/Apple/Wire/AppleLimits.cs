namespace VppPS.Engine.Apple.Wire;

/// <summary>
/// The service/config limits the client obeys. Defaults are the values of Apple's example,
/// used when a key is missing.
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
        };
    }
}
