using System.Runtime.InteropServices;

namespace VppPS.Engine.Store;

/// <summary>
/// Keeps the data folder to its user on Unix: VppPS makes the folder 0700 and its files 0600 (the
/// database and its -wal and -shm files, the key file, logs, reports, the pointer file), and takes
/// group and other access away from what it finds there.
/// Windows is left alone: the data folder sits in the user's profile and its ACLs are not touched.
/// Also makes a replaced file durable: fsync of the folder after a rename (Unix).
/// </summary>
internal static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    /// <summary>The folder of the scheduled sync's log, in the data folder (see SyncSchedule.DefaultLogPath).</summary>
    public const string LogsFolderName = "logs";
    private const UnixFileMode OthersAndGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="folder"/> (and missing parents) 0700 on Unix.</summary>
    public static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, FolderMode);
    }

    /// <summary>Creates an empty <paramref name="path"/> 0600 on Unix unless it exists.</summary>
    public static void CreateFile(string path)
    {
        if (File.Exists(path)) return;
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        try
        {
            using var _ = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it meanwhile.
        }
    }

    /// <summary>
    /// Takes group and other access away from <paramref name="folder"/>, the files in it and the
    /// logs folder with its files (the user's own permissions are kept; other sub-folders and
    /// symbolic links are not touched: the data folder may have been set to a folder that holds
    /// more than VppPS's files). Returns a warning that says what changed, or null when nothing
    /// had to. Unix only.
    /// </summary>
    public static string? Tighten(string folder)
    {
        if (OperatingSystem.IsWindows()) return null;
        var changed = new List<string>();
        var failed = new List<string>();
        void Restrict(FileSystemInfo entry)
        {
            if (entry.LinkTarget is not null || (entry.UnixFileMode & OthersAndGroup) == 0) return;
            try
            {
                entry.UnixFileMode &= ~OthersAndGroup;
                changed.Add(entry.Name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed.Add(entry.FullName);
            }
        }
        var root = new DirectoryInfo(folder);
        Restrict(root);
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var entry in root.EnumerateFileSystemInfos("*", options))
        {
            if (entry is FileInfo) { Restrict(entry); continue; }
            if (entry.Name != LogsFolderName) continue;
            Restrict(entry);
            foreach (var log in ((DirectoryInfo)entry).EnumerateFiles("*", options)) Restrict(log);
        }
        if (changed.Count == 0 && failed.Count == 0) return null;
        var warning = changed.Count == 0 ? "" :
            $"The VppPS data folder '{folder}' could be read by other users of this machine. VppPS took their access away " +
            $"(group and other permissions removed; {changed.Count} changed: {string.Join(", ", changed.Take(5))}{(changed.Count > 5 ? ", ..." : "")}).";
        if (failed.Count > 0)
            warning += (warning.Length > 0 ? " " : "") +
                $"These could not be restricted to this account (change their owner or mode yourself): {string.Join(", ", failed.Take(5))}{(failed.Count > 5 ? ", ..." : "")}.";
        return warning;
    }

    /// <summary>Flushes a folder's entries (a rename in it) to disk. Unix only; best effort.</summary>
    public static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        var descriptor = open(folder, 0 /* O_RDONLY */);
        if (descriptor < 0) return;
        try { _ = fsync(descriptor); }
        finally { _ = close(descriptor); }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int descriptor);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int descriptor);
}
