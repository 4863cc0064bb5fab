using Microsoft.Data.Sqlite;

namespace VppPS.Engine.Store;

/// <summary>
/// The one translation of the state database's failures into <see cref="VppException"/>: a
/// busy database, a read-only file or folder, a full disk, a damaged file, a newer schema, a
/// file that is not VppPS's. Each message says what to do; none says to delete or move the
/// database, which holds VppPS's only record of the licenses and users it gave.
/// </summary>
internal static class DatabaseErrors
{
    // SQLite's primary result codes (the low byte of an extended code).
    private const int Perm = 3, Busy = 5, Locked = 6, ReadOnly = 8, IoError = 10, Corrupt = 11, Full = 13, CantOpen = 14, Auth = 23, NotADatabase = 26;

    /// <summary>The SQLite failure behind <paramref name="e"/> (itself, or an inner exception), if any.</summary>
    public static SqliteException? Find(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SqliteException sqlite) return sqlite;
        return null;
    }

    /// <summary>True for failures that mean the file itself is damaged (not busy, not read-only).</summary>
    public static bool IsDamage(SqliteException e) => (e.SqliteErrorCode & 0xFF) is Corrupt or NotADatabase;

    public static VppException From(SqliteException e, string databasePath)
    {
        var folder = Path.GetDirectoryName(databasePath) ?? databasePath;
        var said = $"(SQLite error {e.SqliteErrorCode}: {e.Message.TrimEnd('.')})";
        var (kind, id, message) = (e.SqliteErrorCode & 0xFF) switch
        {
            Busy or Locked => (VppErrorKind.Conflict, "VppStateBusy",
                $"Another VppPS (another PowerShell session or a scheduled sync) is writing to the state database '{databasePath}' and did not finish in time {said}. " +
                "Try again when it has finished."),
            ReadOnly or Perm or Auth => (VppErrorKind.PermissionDenied, "VppStateReadOnly",
                $"VppPS cannot write to the state database '{databasePath}': the file, its -wal and -shm files or the folder '{folder}' are read-only for this account {said}. " +
                "Give this account read and write access to the folder and every file in it (or run as the account that owns them), then try again."),
            Full => (VppErrorKind.DiskFull, "VppStateDiskFull",
                $"The disk that holds the state database '{databasePath}' is full {said}; the change that failed was not saved. " +
                "Free space on that disk, then run the command again."),
            Corrupt or NotADatabase => (VppErrorKind.Damaged, "VppStateDamaged",
                $"The state database '{databasePath}' is damaged {said}. Run Test-VppDatabase for details. " + RestoreAdvice(databasePath)),
            CantOpen => (VppErrorKind.StateStore, "VppStateCannotOpen",
                $"The state database '{databasePath}' cannot be opened {said}. " +
                $"Check that the folder '{folder}' exists and that this account may read and write it and every file in it, then try again."),
            IoError => (VppErrorKind.StateStore, "VppStateIoError",
                $"The state database '{databasePath}' could not be read or written {said}. " +
                "Check the disk (space, errors, a network share that went away), then run Test-VppDatabase and try again."),
            _ => (VppErrorKind.StateStore, "VppStateUnusable",
                $"The state database '{databasePath}' cannot be used {said}. Run Test-VppDatabase to check it, then try again."),
        };
        return new VppException(kind, id, message, databasePath, e);
    }

    /// <summary>What Test-VppDatabase says about a damaged file: <paramref name="how"/>, then what to do.</summary>
    public static string Damaged(string databasePath, string how) => $"The state database '{databasePath}' is damaged: {how}. " + RestoreAdvice(databasePath);

    private static string RestoreAdvice(string databasePath) =>
        $"Stop every VppPS that uses it, then restore the data folder '{Path.GetDirectoryName(databasePath)}' from a backup (the database with its -wal file and secret.key, together). " +
        "Keep the damaged file until then: it holds VppPS's own records of the licenses and users it gave.";

    public static VppException NewerSchema(string databasePath, int version) => new(VppErrorKind.StateStore, "VppStateFromNewerVersion",
        $"The state database '{databasePath}' has schema version {version}, written by a newer VppPS (this one knows up to {Migrations.LatestVersion}). " +
        "Update the VppPS module to that version or later; this one leaves the database unchanged.", databasePath);

    public static VppException Foreign(string databasePath, string what) => new(VppErrorKind.StateStore, "VppStateForeignDatabase",
        $"The file '{databasePath}' is a SQLite database that VppPS did not create ({what}); VppPS left it unchanged. " +
        $"Point VppPS at a data folder of its own: set the {StatePaths.HomeVariable} environment variable or run Set-VppConfiguration -DataFolder with another folder.",
        databasePath);
}
