using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Inventory;

/// <summary>
/// Where the last complete reads of a token's lists at Apple ended (their versionIds, for the next
/// incremental read), when its last full sync finished, and the invitation URL template Apple gave:
/// the table sync_cursors, owned here. A completed sync writes them; the assignment applier moves
/// the users cursor when it reads back the VPP users it just created.
/// </summary>
internal static class SyncCursors
{
    public sealed record Cursors(string? AssignmentsVersion, string? UsersVersion, DateTimeOffset? FullSyncAt);

    public static Cursors Read(DbConnection c, long tokenKey)
    {
        using var command = c.Command(null, "SELECT assignments_version, users_version, full_sync_at FROM sync_cursors WHERE token_key = $k", ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new Cursors(reader.GetStringOrNull(0), reader.GetStringOrNull(1), reader.GetStringOrNull(2)?.ToDate())
            : new Cursors(null, null, null);
    }

    /// <summary>A sync completed: its reads ended at these versionIds (a full sync also sets the full sync time).</summary>
    public static void Complete(DbConnection c, DbTransaction t, long tokenKey, string? assignmentsVersion, string? usersVersion, string? invitationTemplate, bool full, DateTimeOffset now) =>
        c.Execute(t, """
            INSERT INTO sync_cursors (token_key, assignments_version, users_version, invitation_template, full_sync_at)
            VALUES ($k, $av, $uv, $inv, CASE WHEN $full THEN $now ELSE NULL END)
            ON CONFLICT (token_key) DO UPDATE SET assignments_version = excluded.assignments_version, users_version = excluded.users_version,
                invitation_template = coalesce(excluded.invitation_template, sync_cursors.invitation_template),
                full_sync_at = CASE WHEN $full THEN $now ELSE sync_cursors.full_sync_at END
            """,
            ("$k", tokenKey), ("$av", assignmentsVersion), ("$uv", usersVersion), ("$inv", invitationTemplate), ("$full", full), ("$now", now.ToStored()));

    public static string? UsersVersion(DbConnection c, long tokenKey) =>
        (string?)c.Scalar(null, "SELECT users_version FROM sync_cursors WHERE token_key = $k", ("$k", tokenKey));

    /// <summary>Moves the users cursor of a token that has one (an incremental read of users continued from it).</summary>
    public static void MoveUsersVersion(DbConnection c, DbTransaction t, long tokenKey, string usersVersion) =>
        c.Execute(t, "UPDATE sync_cursors SET users_version = $v WHERE token_key = $k", ("$v", usersVersion), ("$k", tokenKey));
}
