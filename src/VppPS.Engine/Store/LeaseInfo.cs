namespace VppPS.Engine.Store;

/// <summary>A held lease as the leases table has it: its holder, since when, its last heartbeat, its expiry and its fencing number.</summary>
public sealed record LeaseInfo(string Resource, LeaseHolder Holder, DateTimeOffset AcquiredAt, DateTimeOffset RenewedAt, DateTimeOffset ExpiresAt, long Fence);
