namespace VppPS.Engine.Configuration;

/// <summary>The settings in effect, and where each came from (Default, Database, Environment, Session).</summary>
public sealed class VppConfiguration
{
    public required string ServiceUrl { get; init; }
    public required int TokenCap { get; init; }
    public required int SyncIntervalHours { get; init; }
    public required double StatusPollIntervalSeconds { get; init; }
    /// <summary>Empty: Apple's default for the token's account type.</summary>
    public required string MetadataServiceUrl { get; init; }
    /// <summary>Minutes a token's lease lasts without a heartbeat.</summary>
    public required int LeaseMinutes { get; init; }
    /// <summary>The store in use, without its password ("Sqlite folder" or "PostgreSql user@host:port/database").</summary>
    public required string Store { get; init; }
    /// <summary>The data folder of a SQLite store; null on PostgreSQL.</summary>
    public required string? DataFolder { get; init; }
    /// <summary>The database file of a SQLite store; null on PostgreSQL.</summary>
    public required string? DatabasePath { get; init; }
    public required IReadOnlyDictionary<string, string> Sources { get; init; }

    public TimeSpan StatusPollInterval => TimeSpan.FromSeconds(StatusPollIntervalSeconds);
    public TimeSpan SyncInterval => TimeSpan.FromHours(SyncIntervalHours);
    public TimeSpan LeaseDuration => TimeSpan.FromMinutes(LeaseMinutes);
}
