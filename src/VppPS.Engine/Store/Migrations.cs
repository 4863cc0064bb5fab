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
        // 2: content tokens. The token itself is stored encrypted (token_secret); location_uid
        // is Apple's uId, unique so that the same location cannot be uploaded twice.
        """
        CREATE TABLE tokens (
            id                        TEXT PRIMARY KEY,
            name                      TEXT NOT NULL UNIQUE COLLATE NOCASE,
            organization_name         TEXT NOT NULL,
            location_name             TEXT,
            location_uid              TEXT UNIQUE,
            apple_id                  TEXT NOT NULL,
            account_type              TEXT NOT NULL,
            country_or_region         TEXT,
            default_platform          TEXT,
            expiration                TEXT NOT NULL,
            state                     TEXT NOT NULL,
            state_reason              TEXT,
            automatically_update_apps INTEGER NOT NULL DEFAULT 0,
            token_secret              TEXT NOT NULL,
            last_sync_at              TEXT,
            last_sync_status          TEXT NOT NULL DEFAULT 'none',
            created_at                TEXT NOT NULL,
            updated_at                TEXT NOT NULL
        );
        """,
    ];

    public static int LatestVersion => Steps.Count;
}
