using System.Text;

namespace VppPS.Engine.Store;

/// <summary>Replaces a file whole: written to a temporary file beside it, then moved over it, so a failure never leaves it half-written.</summary>
internal static class AtomicFile
{
    public static void Replace(string path, Encoding encoding, Action<TextWriter> write)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var writer = new StreamWriter(temporary, append: false, encoding))
                write(writer);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
