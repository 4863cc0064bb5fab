namespace VppPS.Engine.Store;

/// <summary>
/// The schema, as numbered steps. Step N brings the database from version N-1 to N
/// (PRAGMA user_version). Steps are only ever appended: a released step never changes.
/// </summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<string> Steps =
    [
        // 1: foundation: settings, the installation's identity, the audit journal.
        """
        CREATE TABLE settings (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE installation (
            id              INTEGER PRIMARY KEY CHECK (id = 1),
            installation_id TEXT NOT NULL,
            created_at      TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            at        TEXT NOT NULL,
            user_name TEXT NOT NULL,
            host_name TEXT NOT NULL,
            command   TEXT NOT NULL,
            target    TEXT NOT NULL,
            action    TEXT NOT NULL,
            summary   TEXT NOT NULL
        );
        CREATE INDEX ix_audit_log_at ON audit_log (at);
        CREATE INDEX ix_audit_log_target ON audit_log (target);
        """,
    ];

    public static int LatestVersion => Steps.Count;
}
