using System.Data.Common;
using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Sync;

/// <summary>The sync_runs table: one row per run, written when it starts and when it ends.</summary>
public sealed class SyncRunStore
{
    private const string Columns = "id, token_id, token_name, kind, status, started_at, ended_at, assets, books, assignments, users, skipped, requests, error";
    private readonly VppContext _context;

    public SyncRunStore(VppContext context) => _context = context;

    /// <summary>The error of a run that a process left "inProgress" (it was killed, or its failure could not be written).</summary>
    public const string InterruptedError = "interrupted: the process ended during the sync, or its failure could not be recorded";

    /// <summary>Records the start (under the token's lease), and marks runs of the token that a killed process left "inProgress" as failed.</summary>
    public long Start(VppToken token, SyncKind kind) => _context.Store.Write((c, t) =>
    {
        c.Execute(t, "UPDATE sync_runs SET status = 'failed', error = $error, ended_at = coalesce(ended_at, started_at) WHERE token_id = $id AND status = 'inProgress'",
            ("$error", InterruptedError), ("$id", token.Id.ToString()));
        var id = c.Long(t, "INSERT INTO sync_runs (token_id, token_name, started_at, status, kind) VALUES ($id, $name, $at, 'inProgress', $kind) RETURNING id",
            ("$id", token.Id.ToString()), ("$name", token.Name), ("$at", _context.Clock.UtcNow.ToStored()), ("$kind", kind.ToString()));
        TokenStore.SyncStarted(c, t, token.Id);
        return id;
    });

    /// <summary>Records the end of a successful run, inside the transaction that makes its data visible.</summary>
    public void Complete(DbConnection c, DbTransaction t, long runId, SyncKind kind, SyncCounts counts, long requests, Guid tokenId)
    {
        var now = _context.Clock.UtcNow.ToStored();
        c.Execute(t, """
            UPDATE sync_runs SET status = 'completed', kind = $kind, ended_at = $now, assets = $apps, books = $books, assignments = $assignments,
                users = $users, skipped = $skipped, requests = $requests WHERE id = $run
            """,
            ("$kind", kind.ToString()), ("$now", now), ("$apps", counts.Apps), ("$books", counts.Books), ("$assignments", counts.Assignments),
            ("$users", counts.Users), ("$skipped", counts.Skipped), ("$requests", requests), ("$run", runId));
        TokenStore.SyncCompleted(c, t, tokenId, now);
    }

    /// <summary>
    /// Records the end of a failed run. When even that cannot be written (a full disk, a database
    /// another process holds), it says so as a warning and does not throw, so that the caller
    /// reports the failure itself; the run stays "inProgress" until the token's next run starts or
    /// <see cref="RecordInterrupted()"/> finds the token's lease let go, either of which marks it failed.
    /// </summary>
    public void Fail(long runId, Guid tokenId, string error, long requests)
    {
        try
        {
            _context.Store.Write((c, t) =>
            {
                var now = _context.Clock.UtcNow.ToStored();
                c.Execute(t, "UPDATE sync_runs SET status = 'failed', ended_at = $now, error = $error, requests = $requests WHERE id = $run",
                    ("$now", now), ("$error", error), ("$requests", requests), ("$run", runId));
                TokenStore.SyncFailed(c, t, tokenId, now);
            });
        }
        catch (VppException e)
        {
            _context.Observer.Warning($"The failure of sync run {runId} could not be recorded ({e.ErrorId}); it is recorded as interrupted once this command lets go of the token.");
        }
    }

    /// <summary>
    /// Marks as failed (<see cref="InterruptedError"/>) the runs that a process left "inProgress", and
    /// the token's last sync status with them. A run is in progress only while its token's lease is
    /// held (a sync takes it before <see cref="Start"/> and lets go after its end is recorded), so
    /// runs of a token whose lease is free, expired, or held on this host by a process that is gone
    /// are over; those of a live holder are left alone. The runs are read before the lease, so a
    /// run started meanwhile under a new lease is not touched. Nothing is written (and no write
    /// waits) unless a token's last sync is "inProgress" and its lease let go, nor on a store this
    /// login may only read.
    /// </summary>
    public void RecordInterrupted() => RecordInterrupted(_context.Store, _context.Clock);

    /// <inheritdoc cref="RecordInterrupted()"/>
    internal static void RecordInterrupted(StateStore store, IClock clock)
    {
        if (store.ReadOnly) return;
        bool Abandoned(DbConnection c, DbTransaction? t, long key) =>
            LeaseStore.Read(c, t, Lease.ForToken(key)) is not { } lease || LeaseStore.Abandoned(lease, clock.UtcNow) != LeaseTakeover.None;
        // Read first, so that reading the history while another process syncs (and holds the lease) writes nothing and waits for nobody.
        var candidates = store.Read(c =>
        {
            var tokens = new List<(string Id, long Key)>();
            using (var command = c.Command(null, "SELECT id, key FROM tokens WHERE last_sync_status = 'inProgress'"))
            using (var reader = command.ExecuteReader())
                while (reader.Read()) tokens.Add((reader.GetString(0), reader.GetInt64(1)));
            return tokens.Where(token => Abandoned(c, null, token.Key)).ToList();
        });
        if (candidates.Count == 0) return;
        store.Write((c, t) =>
        {
            foreach (var (id, key) in candidates)
            {
                var runs = new List<long>();
                using (var command = c.Command(t, "SELECT id FROM sync_runs WHERE token_id = $id AND status = 'inProgress'", ("$id", id)))
                using (var reader = command.ExecuteReader())
                    while (reader.Read()) runs.Add(reader.GetInt64(0));
                if (!Abandoned(c, t, key)) continue; // a run started meanwhile holds the token
                foreach (var run in runs)
                    c.Execute(t, "UPDATE sync_runs SET status = 'failed', error = $error, ended_at = coalesce(ended_at, started_at) WHERE id = $run AND status = 'inProgress'",
                        ("$error", InterruptedError), ("$run", run));
                TokenStore.SyncInterrupted(c, t, id);
            }
        });
    }

    /// <summary>Newest first; runs that a process left "inProgress" are recorded as interrupted first (<see cref="RecordInterrupted()"/>).</summary>
    public IReadOnlyList<SyncRun> History(Guid? tokenId, string? status, long first)
    {
        RecordInterrupted();
        return ReadHistory(tokenId, status, first);
    }

    private IReadOnlyList<SyncRun> ReadHistory(Guid? tokenId, string? status, long first) => _context.Store.Read(c =>
    {
        var sql = $"SELECT {Columns} FROM sync_runs WHERE 1=1";
        var parameters = new List<(string, object?)>();
        if (tokenId is { } id) { sql += " AND token_id = $id"; parameters.Add(("$id", id.ToString())); }
        if (status is not null) { sql += " AND status = $status"; parameters.Add(("$status", status)); }
        sql += " ORDER BY id DESC LIMIT $first";
        parameters.Add(("$first", first));
        using var command = c.Command(null, sql, parameters.ToArray());
        using var reader = command.ExecuteReader();
        var runs = new List<SyncRun>();
        while (reader.Read())
            runs.Add(new SyncRun
            {
                Id = reader.GetInt64(0),
                TokenId = Guid.Parse(reader.GetString(1)),
                TokenName = reader.GetString(2),
                Kind = Enum.Parse<SyncKind>(reader.GetString(3)),
                Status = Enum.Parse<SyncStatus>(reader.GetString(4)),
                StartDateTime = reader.GetString(5).ToDate(),
                EndDateTime = reader.GetStringOrNull(6)?.ToDate(),
                AppCount = reader.IsDBNull(7) ? null : reader.GetInt32(7),
                BookCount = reader.IsDBNull(8) ? null : reader.GetInt32(8),
                AssignmentCount = reader.IsDBNull(9) ? null : reader.GetInt64(9),
                UserCount = reader.IsDBNull(10) ? null : reader.GetInt64(10),
                SkippedCount = reader.IsDBNull(11) ? null : reader.GetInt32(11),
                RequestCount = reader.IsDBNull(12) ? null : reader.GetInt64(12),
                Error = reader.GetStringOrNull(13),
            });
        return runs;
    });

    /// <summary>One run as recorded (a run of this command: nothing is marked interrupted first).</summary>
    public SyncRun Get(long runId) => ReadHistory(null, null, long.MaxValue).First(r => r.Id == runId);
}

/// <summary>What a sync saw: apps and books kept, assignments and users read, assets skipped.</summary>
public sealed record SyncCounts(int Apps, int Books, long Assignments, long Users, int Skipped);
