using System.Data.Common;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Sync;

/// <summary>
/// Holds what a sync reads from Apple, outside the shared state, while pages arrive; Apply makes
/// it the token's in one transaction. One implementation per backend: SQLite stages through its
/// own API in temporary tables (<see cref="InventoryStaging"/>), PostgreSQL through binary COPY
/// (<see cref="PostgresInventoryStaging"/>).
/// </summary>
internal interface IInventoryStaging : IDisposable
{
    long Assignments { get; }
    long Users { get; }
    void AddAssets(IEnumerable<ResponseAsset> assets, IReadOnlyDictionary<string, string> skipReasons);
    void AddAssignments(IReadOnlyList<Assignment> page);
    void AddUsers(IReadOnlyList<ResponseUser> page);
    void RestartAssignments();
    void RestartUsers();
    /// <summary>
    /// Full: replaces assets, licenses and users. Incremental: replaces assets (Apple has no delta
    /// for them), adds the licenses and upserts the users read since the last version.
    /// <paramref name="alsoInTransaction"/> runs in the same transaction, before it commits.
    /// </summary>
    SyncCounts Apply(long tokenKey, bool full, Action<DbConnection, DbTransaction, SyncCounts> alsoInTransaction);
}
