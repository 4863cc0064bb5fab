using System.Collections.Concurrent;
using System.Data.Common;

namespace VppPS.Engine.Store;

/// <summary>
/// The leases one command holds, by resource, so that code writing under a lease it did not
/// take itself (the assignment applier, under the token's lease) can check it in its transaction.
/// </summary>
public sealed class HeldLeases
{
    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    internal void Add(Lease lease) => _leases[lease.Resource] = lease;

    internal void Remove(Lease lease) => _leases.TryRemove(new KeyValuePair<string, Lease>(lease.Resource, lease));

    public Lease? Find(string resource) => _leases.TryGetValue(resource, out var lease) ? lease : null;

    /// <summary>
    /// <see cref="Lease.EnsureHeld"/> for the lease this command holds on <paramref name="resource"/>.
    /// Writing under a resource without holding its lease is a mistake in VppPS itself.
    /// </summary>
    internal void EnsureHeld(DbConnection c, DbTransaction t, string resource) =>
        (Find(resource) ?? throw new InvalidOperationException($"This command writes under '{resource}' without holding its lease."))
        .EnsureHeld(c, t);
}
