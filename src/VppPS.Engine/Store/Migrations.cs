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
            key                       INTEGER PRIMARY KEY,
            id                        TEXT NOT NULL UNIQUE,
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
        // 3: what Apple holds per location (a mirror that every sync rebuilds or patches) and
        // what VppPS itself did there (managed_*), which no sync overwrites. Rows refer to
        // tokens and assets by integer keys: licenses can number millions.
        """
        CREATE TABLE assets (
            asset_key           INTEGER PRIMARY KEY,
            token_key           INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id             TEXT NOT NULL,
            pricing_param       TEXT NOT NULL,
            product_type        TEXT NOT NULL,
            total_count         INTEGER NOT NULL,
            assigned_count      INTEGER NOT NULL,
            available_count     INTEGER NOT NULL,
            retired_count       INTEGER NOT NULL,
            device_assignable   INTEGER NOT NULL,
            revocable           INTEGER NOT NULL,
            supported_platforms TEXT,
            UNIQUE (token_key, adam_id, pricing_param)
        );
        CREATE TABLE skipped_assets (
            token_key     INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id       TEXT NOT NULL,
            pricing_param TEXT NOT NULL,
            reason        TEXT NOT NULL,
            PRIMARY KEY (token_key, adam_id, pricing_param)
        ) WITHOUT ROWID;
        CREATE TABLE asset_metadata (
            adam_id     TEXT PRIMARY KEY,
            name        TEXT,
            bundle_id   TEXT,
            artist_name TEXT,
            version     TEXT,
            icon_url    TEXT,
            platforms   TEXT,
            is_b2b      INTEGER NOT NULL DEFAULT 0,
            fetched_at  TEXT NOT NULL
        );
        CREATE TABLE licenses (
            asset_key   INTEGER NOT NULL REFERENCES assets (asset_key) ON DELETE CASCADE,
            target_kind INTEGER NOT NULL, -- 0: user (clientUserId), 1: device (serialNumber)
            target      TEXT NOT NULL,
            PRIMARY KEY (asset_key, target_kind, target)
        ) WITHOUT ROWID;
        CREATE TABLE vpp_users (
            token_key      INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            client_user_id TEXT NOT NULL,
            email          TEXT,
            status         TEXT NOT NULL,
            invite_code    TEXT,
            id_hash        TEXT,
            PRIMARY KEY (token_key, client_user_id)
        ) WITHOUT ROWID;
        CREATE TABLE managed_users (
            token_key         INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            client_user_id    TEXT NOT NULL,
            directory_user_id TEXT,
            created_at        TEXT NOT NULL,
            PRIMARY KEY (token_key, client_user_id)
        ) WITHOUT ROWID;
        CREATE TABLE managed_licenses (
            token_key     INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id       TEXT NOT NULL,
            pricing_param TEXT NOT NULL,
            target_kind   INTEGER NOT NULL,
            target        TEXT NOT NULL,
            reason        TEXT NOT NULL,
            assigned_at   TEXT NOT NULL,
            PRIMARY KEY (token_key, adam_id, pricing_param, target_kind, target)
        ) WITHOUT ROWID;
        CREATE TABLE sync_state (
            token_key           INTEGER PRIMARY KEY REFERENCES tokens (key) ON DELETE CASCADE,
            assignments_version TEXT,
            users_version       TEXT,
            full_sync_at        TEXT,
            invitation_template TEXT,
            lock_owner          TEXT,
            lock_host           TEXT,
            lock_pid            INTEGER,
            lock_at             TEXT
        );
        CREATE TABLE sync_runs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            token_id    TEXT NOT NULL,
            token_name  TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            ended_at    TEXT,
            status      TEXT NOT NULL,
            kind        TEXT NOT NULL,
            assets      INTEGER,
            books       INTEGER,
            assignments INTEGER,
            users       INTEGER,
            skipped     INTEGER,
            requests    INTEGER,
            error       TEXT
        );
        CREATE INDEX ix_sync_runs_token ON sync_runs (token_id, started_at);
        """,
        // 4: directory: the people and devices that assignments target, and their groups.
        // Users and devices removed from the directory stay as tombstones (removed_at) so that
        // the assignment engine can retire what they held; adding them again clears it.
        // group_members.member_key is a user_key in a User group and a device_key in a Device
        // group (the group's kind says which); integer keys keep 100,000-member groups fast.
        """
        CREATE TABLE directory_users (
            user_key            INTEGER PRIMARY KEY,
            id                  TEXT NOT NULL UNIQUE,
            user_principal_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            mail                TEXT,
            managed_apple_id    TEXT,
            display_name        TEXT,
            external_id         TEXT,
            created_at          TEXT NOT NULL,
            updated_at          TEXT NOT NULL,
            removed_at          TEXT
        );
        CREATE INDEX ix_directory_users_external_id ON directory_users (external_id) WHERE external_id IS NOT NULL;
        CREATE INDEX ix_directory_users_removed ON directory_users (removed_at) WHERE removed_at IS NOT NULL;
        CREATE TABLE directory_devices (
            device_key    INTEGER PRIMARY KEY,
            serial_number TEXT NOT NULL UNIQUE COLLATE NOCASE,
            device_name   TEXT,
            owner_upn     TEXT COLLATE NOCASE,
            platform      TEXT,
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            removed_at    TEXT
        );
        CREATE TABLE directory_groups (
            group_key   INTEGER PRIMARY KEY,
            id          TEXT NOT NULL UNIQUE,
            name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
            kind        TEXT NOT NULL CHECK (kind IN ('User', 'Device')),
            description TEXT,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE group_members (
            group_key  INTEGER NOT NULL REFERENCES directory_groups (group_key) ON DELETE CASCADE,
            member_key INTEGER NOT NULL,
            PRIMARY KEY (group_key, member_key)
        ) WITHOUT ROWID;
        CREATE INDEX ix_group_members_member ON group_members (member_key);
        """,
        // 5: assignments of apps and books to groups, what members asked for (Available), the
        // outcome of Apple's events per target, and a journal of submitted writes so that a
        // crash between submitting and recording never leads to a duplicate request.
        // managed_licenses.assignment_id says which assignment a license serves; NULL keeps a
        // license whose assignment was removed without reclaiming (as Intune does).
        """
        CREATE TABLE assignments (
            id             TEXT PRIMARY KEY,
            token_key      INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id        TEXT NOT NULL,
            pricing_param  TEXT NOT NULL,
            product_type   TEXT NOT NULL,
            group_key      INTEGER NOT NULL REFERENCES directory_groups (group_key) ON DELETE CASCADE,
            intent         TEXT NOT NULL CHECK (intent IN ('Required', 'Available', 'Uninstall')),
            license_type   TEXT NOT NULL CHECK (license_type IN ('User', 'Device')),
            allow_shortage INTEGER NOT NULL DEFAULT 0,
            created_at     TEXT NOT NULL,
            updated_at     TEXT NOT NULL,
            UNIQUE (token_key, adam_id, pricing_param, group_key)
        );
        CREATE TABLE license_requests (
            token_key     INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id       TEXT NOT NULL,
            pricing_param TEXT NOT NULL,
            target_kind   INTEGER NOT NULL, -- 0: directory user (user_key), 1: device (device_key)
            member_key    INTEGER NOT NULL,
            forced        INTEGER NOT NULL DEFAULT 0,
            requested_at  TEXT NOT NULL,
            PRIMARY KEY (token_key, adam_id, pricing_param, target_kind, member_key)
        ) WITHOUT ROWID;
        CREATE TABLE license_failures (
            token_key     INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id       TEXT NOT NULL,
            pricing_param TEXT NOT NULL,
            target_kind   INTEGER NOT NULL,
            target        TEXT NOT NULL,
            error_number  INTEGER,
            error_message TEXT,
            failed_at     TEXT NOT NULL,
            PRIMARY KEY (token_key, adam_id, pricing_param, target_kind, target)
        ) WITHOUT ROWID;
        CREATE TABLE pending_operations (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            token_key    INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            kind         TEXT NOT NULL,
            payload      TEXT NOT NULL,
            reason       TEXT,
            event_id     TEXT,
            status       TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            completed_at TEXT
        );
        ALTER TABLE managed_licenses ADD COLUMN assignment_id TEXT;
        ALTER TABLE managed_users ADD COLUMN retired_at TEXT;
        """,
        // 6: planning from changes. Every join and leave of a group is logged (member_changes),
        // so that a plan after a sync looks only at the members who changed since the last plan.
        // Anything else that can change a plan (an assignment set or removed, a license asked
        // for or reclaimed, a full sync, licenses short or refused) asks for a full plan instead.
        """
        ALTER TABLE sync_state ADD COLUMN planned_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sync_state ADD COLUMN needs_full_plan INTEGER NOT NULL DEFAULT 1;
        CREATE TABLE member_changes (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            group_key  INTEGER NOT NULL,
            member_key INTEGER NOT NULL
        );
        CREATE TRIGGER group_member_added AFTER INSERT ON group_members
        BEGIN INSERT INTO member_changes (group_key, member_key) VALUES (new.group_key, new.member_key); END;
        CREATE TRIGGER group_member_removed AFTER DELETE ON group_members
        BEGIN INSERT INTO member_changes (group_key, member_key) VALUES (old.group_key, old.member_key); END;
        CREATE TRIGGER device_owner_changed AFTER UPDATE OF owner_upn ON directory_devices WHEN coalesce(old.owner_upn, '') <> coalesce(new.owner_upn, '')
        BEGIN UPDATE sync_state SET needs_full_plan = 1; END;
        CREATE INDEX ix_managed_licenses_target ON managed_licenses (token_key, target_kind, target);
        """,
        // 7: the file says it is VppPS's (PRAGMA application_id 'VPPS', SqliteDatabase.ApplicationId),
        // so that a SQLite file of another program given as the data folder's database is refused.
        """
        PRAGMA application_id = 1448104019;
        """,
        // 8: leases (Store/LeaseStore.cs owns the table): who holds a resource (a token's sync, plan
        // application or removal) and until when, renewed by a heartbeat while held. fence grows by
        // one on every acquisition and stays when the lease is released, so that a holder whose
        // lease was taken over is told so before it writes. Plain SQL that PostgreSQL runs as well.
        // sync_state's lock_owner, lock_host, lock_pid and lock_at (step 3) are no longer read or
        // written: they stay in place, unused. sync_state.needs_full_plan now counts the requests
        // for a full plan (see AssignmentPlanner.RequestFullPlan): the trigger adds one instead of
        // setting 1.
        """
        CREATE TABLE leases (
            resource           TEXT PRIMARY KEY,
            holder             TEXT,
            holder_description TEXT,
            user_name          TEXT,
            host_name          TEXT,
            process_id         INTEGER,
            process_start      TEXT,
            acquired_at        TEXT,
            renewed_at         TEXT,
            expires_at         TEXT,
            fence              BIGINT NOT NULL DEFAULT 0
        );
        DROP TRIGGER device_owner_changed;
        CREATE TRIGGER device_owner_changed AFTER UPDATE OF owner_upn ON directory_devices WHEN coalesce(old.owner_upn, '') <> coalesce(new.owner_upn, '')
        BEGIN UPDATE sync_state SET needs_full_plan = needs_full_plan + 1; END;
        """,
        // 9: VPP users adopted rather than created. A person whose e-mail address (or Managed Apple
        // Account) an active VPP user of the location already has is linked to that user
        // (managed_users, adopted_at set) instead of getting a second one; VppPS gives and takes
        // back licenses for it, but never retires a VPP user it did not create.
        """
        ALTER TABLE managed_users ADD COLUMN adopted_at TEXT;
        """,
        // 10: subscriptions (Apple, 2026): the seat counts of each subscription and who holds a seat,
        // as the last sync read them (replaced whole, like a full read of assignments), and per token
        // what VppPS declared to Apple, when a sync reminded the admin to declare, and the versionIds
        // of the last complete reads. Ids are Apple's digits as text, like assets' adam_id.
        """
        CREATE TABLE subscriptions (
            token_key          INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id            TEXT NOT NULL,
            parent_adam_id     TEXT,
            status             TEXT,
            period_end_date    TEXT,
            assigned_renewing  INTEGER NOT NULL,
            assigned_expiring  INTEGER NOT NULL,
            available_renewing INTEGER NOT NULL,
            available_expiring INTEGER NOT NULL,
            total_renewing     INTEGER NOT NULL,
            total_expiring     INTEGER NOT NULL,
            PRIMARY KEY (token_key, adam_id)
        );
        CREATE TABLE subscription_seats (
            token_key      INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id        TEXT NOT NULL,
            client_user_id TEXT NOT NULL,
            renewing       INTEGER NOT NULL,
            PRIMARY KEY (token_key, adam_id, client_user_id)
        );
        CREATE INDEX ix_subscription_seats_user ON subscription_seats (token_key, client_user_id);
        CREATE TABLE subscription_state (
            token_key             INTEGER PRIMARY KEY REFERENCES tokens (key) ON DELETE CASCADE,
            management            TEXT CHECK (management IN ('Enabled', 'Disabled')),
            declared_at           TEXT,
            reminded_at           TEXT,
            subscriptions_version TEXT,
            seats_version         TEXT,
            synced_at             TEXT
        );
        """,
        // 11: sync_state split into tables with one owner each: sync_cursors (Inventory/SyncCursors:
        // where the last complete reads of Apple's lists ended, the last full sync, the invitation
        // URL) and plan_state (Assignments/AssignmentPlanner: the member changes planned, the full
        // plans asked for). The unused lock columns go with the old table.
        """
        CREATE TABLE sync_cursors (
            token_key           INTEGER PRIMARY KEY REFERENCES tokens (key) ON DELETE CASCADE,
            assignments_version TEXT,
            users_version       TEXT,
            full_sync_at        TEXT,
            invitation_template TEXT
        );
        INSERT INTO sync_cursors (token_key, assignments_version, users_version, full_sync_at, invitation_template)
            SELECT token_key, assignments_version, users_version, full_sync_at, invitation_template FROM sync_state;
        CREATE TABLE plan_state (
            token_key       INTEGER PRIMARY KEY REFERENCES tokens (key) ON DELETE CASCADE,
            planned_seq     INTEGER NOT NULL DEFAULT 0,
            needs_full_plan INTEGER NOT NULL DEFAULT 1
        );
        INSERT INTO plan_state (token_key, planned_seq, needs_full_plan) SELECT token_key, planned_seq, needs_full_plan FROM sync_state;
        DROP TRIGGER device_owner_changed;
        CREATE TRIGGER device_owner_changed AFTER UPDATE OF owner_upn ON directory_devices WHEN coalesce(old.owner_upn, '') <> coalesce(new.owner_upn, '')
        BEGIN UPDATE plan_state SET needs_full_plan = needs_full_plan + 1; END;
        DROP TABLE sync_state;
        """,
        // 12: subscription seats given by assignments. An assignment of a subscription says whether
        // its seats renew at the period end (renewing) and whether the seats it takes back end at
        // once or at the period end (reclaim_immediately). managed_seats holds the seats VppPS gave
        // (as managed_licenses does for apps) and the seats whose deferred reclaim Apple accepted
        // (ending_at: the period end they end at); Assignments/AssignmentApplier owns it.
        """
        ALTER TABLE assignments ADD COLUMN renewing INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE assignments ADD COLUMN reclaim_immediately INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE managed_seats (
            token_key      INTEGER NOT NULL REFERENCES tokens (key) ON DELETE CASCADE,
            adam_id        TEXT NOT NULL,
            client_user_id TEXT NOT NULL,
            assignment_id  TEXT,
            renewing       INTEGER NOT NULL,
            reason         TEXT NOT NULL,
            assigned_at    TEXT NOT NULL,
            ending_at      TEXT,
            PRIMARY KEY (token_key, adam_id, client_user_id)
        );
        """,
        // 13: subscription seats given directly and seats that lapse. license_requests of a
        // subscription (pricing_param '') are seats given with Add-VppAppLicense; renewing says
        // whether such a seat renews. covers_period_end (license_requests and assignments): for seats
        // that lapse (renewing 0), the end of the billing period they were given for; once the
        // subscription's period end is later, Assignments/SeatPlanner gives no more seats for them.
        // Null until the next apply sets it (Assignments/SeatPlanner.CoverBillingPeriods), also for
        // assignments of lapsing seats saved before: they cover the period that apply finds.
        """
        ALTER TABLE license_requests ADD COLUMN renewing INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE license_requests ADD COLUMN covers_period_end TEXT;
        ALTER TABLE assignments ADD COLUMN covers_period_end TEXT;
        """,
    ];

    public static int LatestVersion => Steps.Count;
}
