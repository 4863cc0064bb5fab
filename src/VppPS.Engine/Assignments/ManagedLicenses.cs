using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Assignments;

/// <summary>
/// What VppPS gave and made at Apple: the managed_licenses, managed_seats, managed_users and
/// license_failures tables' only writer (and the event_changes temporary table an event's outcome is
/// applied through). Every method works in the caller's transaction.
/// </summary>
internal static class ManagedLicenses
{
    // ---- failures ----

    /// <summary>Apple refused the change of one target: recorded (or its record replaced) to retry it later.</summary>
    public static void RecordFailure(DbConnection c, DbTransaction t, long tokenKey, string adamId, string pricingParam, int targetKind, string target,
        int? errorNumber, string? message, string now) =>
        c.Execute(t, """
            INSERT INTO license_failures (token_key, adam_id, pricing_param, target_kind, target, error_number, error_message, failed_at)
            VALUES ($k, $a, $p, $kind, $x, $n, $m, $now)
            ON CONFLICT (token_key, adam_id, pricing_param, target_kind, target)
            DO UPDATE SET error_number = excluded.error_number, error_message = excluded.error_message, failed_at = excluded.failed_at
            """, ("$k", tokenKey), ("$a", adamId), ("$p", pricingParam), ("$kind", targetKind), ("$x", target),
            ("$n", errorNumber), ("$m", message), ("$now", now));

    /// <summary>Every target's last failure as "number message", for the plan's items.</summary>
    public static Dictionary<(string, string, int, string), string> FailureMessages(DbConnection c)
    {
        using var command = c.Command(null, "SELECT adam_id, pricing_param, target_kind, target, coalesce(error_number || ' ', '') || coalesce(error_message, '') FROM license_failures");
        using var reader = command.ExecuteReader();
        var map = new Dictionary<(string, string, int, string), string>();
        while (reader.Read()) map[(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3))] = reader.GetString(4);
        return map;
    }

    // ---- licenses ----

    /// <summary>
    /// Licenses and seats an assignment gave stay when it is removed, marked as kept: a later
    /// assignment that wants them adopts them (<see cref="AssignKept"/>).
    /// </summary>
    public static void KeepWithoutAssignment(DbConnection c, DbTransaction t, string assignmentId)
    {
        c.Execute(t, "UPDATE managed_licenses SET assignment_id = NULL, reason = 'kept after its assignment was removed (' || reason || ')' WHERE assignment_id = $id", ("$id", assignmentId));
        c.Execute(t, "UPDATE managed_seats SET assignment_id = NULL, reason = 'kept after its assignment was removed (' || reason || ')' WHERE assignment_id = $id", ("$id", assignmentId));
    }

    /// <summary>
    /// Kept licenses of <paramref name="assets"/> belong again to the assignment that wants them,
    /// as the planner's <paramref name="wanted"/> query (asset_key, kind, target, assignment_id) says.
    /// </summary>
    public static int AssignKept(DbConnection c, DbTransaction t, long tokenKey, string wanted, IEnumerable<long> assets) =>
        c.Execute(t, $"""
            UPDATE managed_licenses SET
                assignment_id = (SELECT w.assignment_id FROM ({wanted}) w JOIN assets a ON a.asset_key = w.asset_key
                                 WHERE a.adam_id = managed_licenses.adam_id AND a.pricing_param = managed_licenses.pricing_param
                                   AND w.kind = managed_licenses.target_kind AND w.target = managed_licenses.target AND w.assignment_id IS NOT NULL LIMIT 1)
            WHERE token_key = $k AND assignment_id IS NULL
              AND (SELECT a.asset_key FROM assets a WHERE a.token_key = $k AND a.adam_id = managed_licenses.adam_id AND a.pricing_param = managed_licenses.pricing_param)
                  IN ({string.Join(",", assets)})
            """, ("$k", (object?)tokenKey), ("$only", null));

    /// <summary>
    /// Fills the temporary event_changes table with the changes of an event that succeeded (those
    /// <paramref name="failed"/> says no to); returns how many.
    /// </summary>
    public static int StageEventChanges(DbConnection c, DbTransaction t, IReadOnlyList<PendingChange> changes, Func<PendingChange, bool> failed)
    {
        c.Execute(t, """
            CREATE TEMP TABLE IF NOT EXISTS event_changes (adam_id TEXT, pricing_param TEXT, target_kind BIGINT, target TEXT, reason TEXT, assignment_id TEXT);
            DELETE FROM event_changes;
            """);
        var succeeded = 0;
        // Prepared() and not Prepare(): a PostgreSQL statement prepared with untyped parameters would
        // take the int target kind as the column's bigint and misread it.
        var (insert, values) = c.Prepared(t, "INSERT INTO event_changes VALUES ($a, $p, $kind, $x, $r, $s)", "$a", "$p", "$kind", "$x", "$r", "$s");
        using (insert)
        {
            foreach (var change in changes)
            {
                if (failed(change)) continue;
                values[0].Value = change.AdamId;
                values[1].Value = change.PricingParam;
                values[2].Value = (long)change.TargetKind;
                values[3].Value = change.Target;
                values[4].Value = change.Reason;
                values[5].Value = (object?)change.AssignmentId ?? DBNull.Value;
                insert.ExecuteNonQuery();
                succeeded++;
            }
        }
        return succeeded;
    }

    /// <summary>The targets of event_changes no longer wait after a failure.</summary>
    public static void ClearEventFailures(DbConnection c, DbTransaction t, long tokenKey) =>
        c.Execute(t, "DELETE FROM license_failures WHERE token_key = $k AND (adam_id, pricing_param, target_kind, target) IN (SELECT adam_id, pricing_param, target_kind, target FROM event_changes)", ("$k", (object?)tokenKey));

    /// <summary>The licenses of event_changes were associated: VppPS's own, for their assignment.</summary>
    public static void EventAssociated(DbConnection c, DbTransaction t, long tokenKey, string now) =>
        c.Execute(t, """
            INSERT INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at, assignment_id)
            SELECT $k, adam_id, pricing_param, target_kind, target, reason, $now, assignment_id FROM event_changes WHERE true
            ON CONFLICT (token_key, adam_id, pricing_param, target_kind, target) DO UPDATE SET reason = excluded.reason, assignment_id = excluded.assignment_id
            """, ("$k", (object?)tokenKey), ("$now", now));

    /// <summary>The licenses of event_changes were disassociated.</summary>
    public static void EventDisassociated(DbConnection c, DbTransaction t, long tokenKey) =>
        c.Execute(t, "DELETE FROM managed_licenses WHERE token_key = $k AND (adam_id, pricing_param, target_kind, target) IN (SELECT adam_id, pricing_param, target_kind, target FROM event_changes)", ("$k", (object?)tokenKey));

    // ---- seats ($k token, $a subscription, $u clientUserId, $s assignment, $r renewing, $why reason, $now) ----

    public static void ClearSeatFailure(DbConnection c, DbTransaction t, (string, object?)[] seat) =>
        c.Execute(t, "DELETE FROM license_failures WHERE token_key = $k AND adam_id = $a AND pricing_param = '' AND target_kind = 0 AND target = $u", seat);

    public static void SeatGiven(DbConnection c, DbTransaction t, (string, object?)[] seat) =>
        c.Execute(t, """
            INSERT INTO managed_seats (token_key, adam_id, client_user_id, assignment_id, renewing, reason, assigned_at) VALUES ($k, $a, $u, $s, $r, $why, $now)
            ON CONFLICT (token_key, adam_id, client_user_id) DO UPDATE SET assignment_id = excluded.assignment_id, renewing = excluded.renewing,
                reason = excluded.reason, ending_at = NULL
            """, seat);

    /// <summary>Kept by Apple until the period end; a seat VppPS did not give is recorded too, so that it shows as ending.</summary>
    public static void SeatEnding(DbConnection c, DbTransaction t, (string, object?)[] seat) =>
        c.Execute(t, """
            INSERT INTO managed_seats (token_key, adam_id, client_user_id, assignment_id, renewing, reason, assigned_at, ending_at)
            SELECT ss.token_key, ss.adam_id, ss.client_user_id, NULL, ss.renewing, $why, $now, coalesce(s.period_end_date, $now)
            FROM subscription_seats ss LEFT JOIN subscriptions s ON s.token_key = ss.token_key AND s.adam_id = ss.adam_id
            WHERE ss.token_key = $k AND ss.adam_id = $a AND ss.client_user_id = $u
            ON CONFLICT (token_key, adam_id, client_user_id) DO UPDATE SET ending_at = excluded.ending_at
            """, seat);

    public static void SeatTaken(DbConnection c, DbTransaction t, (string, object?)[] seat) =>
        c.Execute(t, "DELETE FROM managed_seats WHERE token_key = $k AND adam_id = $a AND client_user_id = $u", seat);

    // ---- VPP users ($k token, $c clientUserId, $at) ----

    /// <summary>An existing VPP user linked to a person: VppPS licenses it from now on.</summary>
    public static void UserAdopted(DbConnection c, DbTransaction t, long tokenKey, string clientUserId, string? directoryUserId, string now) =>
        c.Execute(t, """
            INSERT INTO managed_users (token_key, client_user_id, directory_user_id, created_at, adopted_at) VALUES ($k, $c, $d, $at, $at)
            ON CONFLICT (token_key, client_user_id) DO UPDATE SET directory_user_id = excluded.directory_user_id, retired_at = NULL, adopted_at = excluded.adopted_at
            """, ("$k", tokenKey), ("$c", clientUserId), ("$d", directoryUserId), ("$at", now));

    /// <summary>A VPP user Apple created for VppPS.</summary>
    public static void UserCreated(DbConnection c, DbTransaction t, long tokenKey, string clientUserId, string? directoryUserId, string now) =>
        c.Execute(t, "INSERT INTO managed_users (token_key, client_user_id, directory_user_id, created_at) VALUES ($k, $c, $d, $at) ON CONFLICT DO NOTHING",
            ("$k", tokenKey), ("$c", clientUserId), ("$d", directoryUserId), ("$at", now));

    public static void UserRetired(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, "UPDATE managed_users SET retired_at = coalesce(retired_at, $at) WHERE token_key = $k AND client_user_id = $c", user);

    /// <summary>A retired user's revocable licenses are free again; books stay (irrevocable).</summary>
    public static void ReleaseRevocableLicenses(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, """
            DELETE FROM managed_licenses WHERE token_key = $k AND target_kind = 0 AND target = $c AND EXISTS (SELECT 1 FROM assets a
                WHERE a.token_key = $k AND a.adam_id = managed_licenses.adam_id AND a.pricing_param = managed_licenses.pricing_param AND a.revocable = 1)
            """, user);

    public static void ForgetSeats(DbConnection c, DbTransaction t, (string, object?)[] user) =>
        c.Execute(t, "DELETE FROM managed_seats WHERE token_key = $k AND client_user_id = $c", user);
    /// <summary>
    /// The active VPP users VppPS created or linked for a token that Apple no longer knows, with
    /// who each was for: those named (<paramref name="clientUserIds"/>), or, when null, every one a
    /// full read just left out of vpp_users.
    /// </summary>
    public static List<(string ClientUserId, string Who)> UsersToForget(DbConnection c, DbTransaction t, long tokenKey, IReadOnlyCollection<string>? clientUserIds)
    {
        var forgotten = new List<(string ClientUserId, string Who)>();
        if (clientUserIds is null)
        {
            using var command = c.Command(t, """
                SELECT mu.client_user_id, coalesce(u.user_principal_name, mu.client_user_id) FROM managed_users mu LEFT JOIN directory_users u ON u.id = mu.directory_user_id
                WHERE mu.token_key = $k AND mu.retired_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM vpp_users vu WHERE vu.token_key = mu.token_key AND vu.client_user_id = mu.client_user_id)
                ORDER BY 2
                """, ("$k", tokenKey));
            using var reader = command.ExecuteReader();
            while (reader.Read()) forgotten.Add((reader.GetString(0), reader.GetString(1)));
        }
        else
        {
            using var command = c.Command(t, """
                SELECT coalesce(u.user_principal_name, mu.client_user_id) FROM managed_users mu LEFT JOIN directory_users u ON u.id = mu.directory_user_id
                WHERE mu.token_key = $k AND mu.client_user_id = $c AND mu.retired_at IS NULL
                """, ("$k", tokenKey), ("$c", null));
            foreach (var id in clientUserIds)
            {
                command.Parameters[1].Value = id;
                if (command.ExecuteScalar() is string who) forgotten.Add((id, who));
            }
        }
        return forgotten;
    }

    /// <summary>Forgets what VppPS recorded for a VPP user Apple no longer knows ($k token, $c clientUserId): its licenses, failures, seats and the user.</summary>
    public static void ForgetUser(DbConnection c, DbTransaction t, (string, object?)[] user)
    {
        c.Execute(t, "DELETE FROM managed_licenses WHERE token_key = $k AND target_kind = 0 AND target = $c", user);
        c.Execute(t, "DELETE FROM license_failures WHERE token_key = $k AND target_kind = 0 AND target = $c", user);
        c.Execute(t, "DELETE FROM managed_seats WHERE token_key = $k AND client_user_id = $c", user);
        c.Execute(t, "DELETE FROM managed_users WHERE token_key = $k AND client_user_id = $c", user);
    }
}
