using VppPS.Engine.Store;

namespace VppPS.Engine.Configuration;

/// <summary>
/// Moves VppPS's state to another folder: copies the database (a consistent snapshot through
/// VACUUM INTO) and the key file when the target has none, then records the new folder.
/// The old copy stays where it was, so nothing is lost if the move is regretted.
/// </summary>
public static class DataFolderMover
{
    public static string Move(VppContext context, string? target)
    {
        if (Environment.GetEnvironmentVariable(StatePaths.HomeVariable) is { Length: > 0 } home)
            throw new VppException(VppErrorKind.Conflict, "VppDataFolderFromEnvironment",
                $"The data folder is set by the {StatePaths.HomeVariable} environment variable ({home}); change or remove that variable instead.", home);
        var destination = target is null ? StatePaths.DefaultFolder : Path.GetFullPath(target);
        var source = context.Store;
        if (source.Kind != StoreKind.Sqlite)
            throw new VppException(VppErrorKind.Conflict, "VppDataFolderNotInUse",
                $"This session keeps its state in {source.Location}, not in a data folder. Move state between stores with Copy-VppState; go back to the local data folder with Set-VppConfiguration -Reset Store or Connect-VppStore -Default.", source.Location.ToString());
        if (string.Equals(destination, source.Folder, StringComparison.Ordinal)) return destination;
        try
        {
            PrivateFiles.CreateFolder(destination);
            var newDatabase = Path.Combine(destination, StatePaths.DatabaseFileName);
            if (!File.Exists(newDatabase))
            {
                source.Write((c, t) => context.Journal.Write(c, t, "setting:DataFolder", "Set", $"state moved to {destination}"));
                // VACUUM INTO fills an empty file as it finds it: made private first (Unix), as the key file's copy is.
                PrivateFiles.CreateFile(newDatabase);
                try
                {
                    source.Read(c => c.Execute(null, "VACUUM INTO $path", ("$path", newDatabase)));
                }
                catch
                {
                    // A copy that failed must not be taken for the state by the next attempt.
                    File.Delete(newDatabase);
                    throw;
                }
                var oldKey = Path.Combine(source.Folder!, StatePaths.KeyFileName);
                var newKey = Path.Combine(destination, StatePaths.KeyFileName);
                if (File.Exists(oldKey) && !File.Exists(newKey)) File.Copy(oldKey, newKey);
            }
            StatePaths.WritePointer(target is null ? null : destination);
            return destination;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VppException(VppErrorKind.InvalidArgument, "VppDataFolderUnusable",
                $"Cannot use '{destination}' as the data folder: {e.Message} Choose a folder you can write to.", destination, e);
        }
    }
}
