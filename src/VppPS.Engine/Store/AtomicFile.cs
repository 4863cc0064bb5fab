using System.Text;

namespace VppPS.Engine.Store;

/// <summary>
/// Replaces a file whole: written to a temporary file beside it and flushed to disk, then moved
/// over it, then (on Unix) the folder flushed too, so that neither a failure nor a power cut
/// leaves it half-written. On Unix a new file is readable by its user only (0600); a file
/// replaced keeps the mode it had.
/// </summary>
internal static class AtomicFile
{
    public static void Replace(string path, Encoding encoding, Action<TextWriter> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = File.Exists(path) ? File.GetUnixFileMode(path) : PrivateFiles.FileMode;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                using (var writer = new StreamWriter(stream, encoding, bufferSize: -1, leaveOpen: true))
                    write(writer);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        PrivateFiles.SyncFolder(folder);
    }
}
