using Microsoft.Data.Sqlite;

namespace VppPS.Engine.Store;

/// <summary>
/// The audit journal every state change writes, in the same transaction as the change itself,
/// so that the journal and the state never disagree. Summaries never carry secrets: callers
/// describe what changed, not the values of tokens or keys.
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
    public void Write(SqliteConnection connection, SqliteTransaction transaction, string target, string action, string summary)
    {
        connection.Execute(transaction,
            "INSERT INTO audit_log (at, user_name, host_name, command, target, action, summary) VALUES ($at, $user, $host, $command, $target, $action, $summary)",
            ("$at", _clock.UtcNow.ToStored()), ("$user", CurrentUser), ("$host", CurrentHost), ("$command", _command),
            ("$target", target), ("$action", action), ("$summary", summary));
    }

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
        if (query.TargetPattern is { } target) { where += " AND lower(target) GLOB lower($target)"; parameters.Add(("$target", target)); }
        if (query.CommandPattern is { } command) { where += " AND lower(command) GLOB lower($command)"; parameters.Add(("$command", command)); }
        return (where, parameters);
    }
}

/// <summary>What to read from the audit journal; null means no filter.</summary>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? TargetPattern = null, string? CommandPattern = null);
