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
        var said = $"({Describe(e)})";
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
            Corrupt or NotADatabase => Unreadable(databasePath, Describe(e), "Run Test-VppDatabase for details. "),
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

    /// <summary>SQLite's own words for <paramref name="e"/>, said once: "SQLite error 5: 'database is locked'".</summary>
    public static string Describe(SqliteException e)
    {
        var message = e.Message.TrimEnd('.');
        // Microsoft.Data.Sqlite's messages already start "SQLite Error 5: ".
        var prefix = System.Text.RegularExpressions.Regex.Match(message, @"^SQLite Error -?\d+: ");
        return $"SQLite error {e.SqliteErrorCode}: {(prefix.Success ? message[prefix.Length..] : message)}";
    }

    /// <summary>
    /// A file SQLite cannot read as a database (<paramref name="sqliteSays"/>), told by what it is: text
    /// is not a SQLite database at all (VppStateNotADatabase); a file without SQLite's signature is
    /// damaged or another program's; one with it is damaged (VppStateDamaged). <paramref name="checkAdvice"/>
    /// goes before the restore advice of a damaged file.
    /// </summary>
    public static (VppErrorKind Kind, string Id, string Message) Unreadable(string databasePath, string sqliteSays, string checkAdvice = "")
    {
        var elsewhere = $"point VppPS at a data folder of its own: set the {StatePaths.HomeVariable} environment variable or run Set-VppConfiguration -DataFolder with another folder.";
        return ReadSignature(databasePath) switch
        {
            Signature.Text => (VppErrorKind.StateStore, "VppStateNotADatabase",
                $"The file '{databasePath}' is not a SQLite database, so not a VppPS state database: it holds text ({sqliteSays}). VppPS left it unchanged. " +
                $"If VppPS's database was overwritten with it, stop every VppPS that uses the folder and restore it from a backup (the database with its -wal file and secret.key); otherwise {elsewhere}"),
            Signature.Other => (VppErrorKind.Damaged, "VppStateDamaged",
                $"The state database '{databasePath}' is damaged, or is not a SQLite database: it does not start with SQLite's signature ({sqliteSays}). {checkAdvice}" +
                $"If it is VppPS's database: {RestoreAdvice(databasePath)} If it is another program's file, leave it and {elsewhere}"),
            _ => (VppErrorKind.Damaged, "VppStateDamaged", $"The state database '{databasePath}' is damaged ({sqliteSays}). {checkAdvice}" + RestoreAdvice(databasePath)),
        };
    }

    private enum Signature { Sqlite, Text, Other }

    /// <summary>How the file starts: with SQLite's signature (or empty, or unreadable: nothing can be told), with text only, or with other bytes.</summary>
    private static Signature ReadSignature(string databasePath)
    {
        var head = new byte[4096];
        int read;
        try
        {
            using var file = File.OpenRead(databasePath);
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Signature.Sqlite;
        }
        var bytes = head.AsSpan(0, read);
        if (read == 0 || bytes.StartsWith("SQLite format 3\0"u8)) return Signature.Sqlite;
        // Text: no NUL byte and no control character but tabs and line breaks (a database page has plenty).
        foreach (var b in bytes)
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r') return Signature.Other;
        return Signature.Text;
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
