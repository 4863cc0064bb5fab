using System.Data.Common;

namespace VppPS.Engine.Store;

/// <summary>
/// The audit journal: who changed what, when. <see cref="Write"/> and <see cref="Batch"/> write
/// inside the caller's transaction, so an entry is committed together with the change it
/// describes; which changes write an entry, and how finely, is up to each caller (a sync writes
/// one summary line, an assignment run one line per run and per batch of VPP users). Summaries
/// never carry secrets: callers describe what changed, not the values of tokens or keys.
/// </summary>
public sealed class AuditJournal
{
    private readonly StateStore _store;
    private readonly IClock _clock;
    private readonly string _command;

    public AuditJournal(StateStore store, IClock clock, string command)
    {
        _store = store;
        _clock = clock;
        _command = command;
    }

    public static string CurrentUser => Environment.UserName;
    public static string CurrentHost => Environment.MachineName;

    /// <summary>Writes an entry inside the caller's transaction.</summary>
    public void Write(DbConnection connection, DbTransaction transaction, string target, string action, string summary)
    {
        connection.Execute(transaction,
            "INSERT INTO audit_log (at, user_name, host_name, command, target, action, summary) VALUES ($at, $user, $host, $command, $target, $action, $summary)",
            ("$at", _clock.UtcNow.ToStored()), ("$user", CurrentUser), ("$host", CurrentHost), ("$command", _command),
            ("$target", target), ("$action", action), ("$summary", summary));
    }

    /// <summary>
    /// A writer of many entries inside the caller's transaction with one prepared statement, for
    /// changes that come by the thousand (a directory import, 100,000 devices added to a group).
    /// </summary>
    public AuditBatch Batch(DbConnection connection, DbTransaction transaction) => new(connection, transaction, _clock, _command);

    /// <summary>A batch whose lines are written through <paramref name="writes"/> (queued on PostgreSQL) instead of at once.</summary>
    internal AuditBatch Batch(DbConnection connection, DbTransaction transaction, WriteBehind writes) => new(connection, transaction, _clock, _command, writes);

    /// <summary>Newest first. Patterns are SQL GLOB patterns (* and ?), case-insensitive.</summary>
    public IReadOnlyList<AuditEntry> Read(AuditQuery query, long skip, long first) => _store.Read(c =>
    {
        var (where, parameters) = Filter(query);
        parameters.Add(("$first", first));
        parameters.Add(("$skip", skip));
        using var command = c.Command(null,
            "SELECT id, at, user_name, host_name, command, target, action, summary FROM audit_log" + where + " ORDER BY id DESC LIMIT $first OFFSET $skip",
            parameters.ToArray());
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
            entries.Add(new AuditEntry(reader.GetInt64(0), reader.GetString(1).ToDate(), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7)));
        return entries;
    });

    public long Count(AuditQuery query) => _store.Read(c =>
    {
        var (where, parameters) = Filter(query);
        return (long)c.Scalar(null, "SELECT count(*) FROM audit_log" + where, parameters.ToArray())!;
    });

    private static (string Where, List<(string, object?)> Parameters) Filter(AuditQuery query)
    {
        var where = " WHERE 1=1";
        var parameters = new List<(string, object?)>();
        if (query.Since is { } since) { where += " AND at >= $since"; parameters.Add(("$since", since.ToStored())); }
        if (query.TargetPattern is { } target) { where += " AND (lower(target) = lower($target) OR glob(lower($target), lower(target)))"; parameters.Add(("$target", target)); }
        if (query.CommandPattern is { } command) { where += " AND glob(lower($command), lower(command))"; parameters.Add(("$command", command)); }
        return (where, parameters);
    }
}

/// <summary>What to read from the audit journal; null means no filter.</summary>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? TargetPattern = null, string? CommandPattern = null);

/// <summary>Entries written with one prepared INSERT; dispose it before the transaction ends.</summary>
public sealed class AuditBatch : IDisposable
{
    private readonly DbCommand _insert;
    private readonly DbParameter _at, _target, _action, _summary;
    private readonly IClock _clock;
    private readonly WriteBehind? _writes;

    internal AuditBatch(DbConnection connection, DbTransaction transaction, IClock clock, string command, WriteBehind? writes = null)
    {
        _clock = clock;
        _writes = writes;
        DbParameter[] p;
        (_insert, p) = connection.Prepared(transaction,
            "INSERT INTO audit_log (at, user_name, host_name, command, target, action, summary) VALUES ($at, $user, $host, $command, $target, $action, $summary)",
            "$at", "$user", "$host", "$command", "$target", "$action", "$summary");
        (_at, _target, _action, _summary) = (p[0], p[4], p[5], p[6]);
        p[1].Value = AuditJournal.CurrentUser;
        p[2].Value = AuditJournal.CurrentHost;
        p[3].Value = command;
    }

    public void Write(string target, string action, string summary)
    {
        _at.Value = _clock.UtcNow.ToStored();
        _target.Value = target;
        _action.Value = action;
        _summary.Value = summary;
        if (_writes is null) _insert.ExecuteNonQuery();
        else _writes.Execute(_insert);
    }

    public void Dispose() => _insert.Dispose();
}
