namespace VppPS.Engine.Store;

/// <summary>
/// The outcome of <see cref="LeaseStore.TryAcquire"/>: the lease (<see cref="Lease"/>), or who
/// holds it (<see cref="Busy"/>). <see cref="Previous"/> and <see cref="Takeover"/> say whose
/// lease was taken over, and why.
/// </summary>
public sealed record LeaseAcquisition(Lease? Lease, LeaseInfo? Busy, LeaseInfo? Previous, LeaseTakeover Takeover);
