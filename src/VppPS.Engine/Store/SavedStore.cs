using System.Text;
using System.Text.Json;
using VppPS.Engine.Security;

namespace VppPS.Engine.Store;

/// <summary>
/// The store a user saved with Set-VppConfiguration -Store: a file (store.json) in the per-user
/// default data folder, private to the user, that holds the connection text and the store key
/// encrypted as a token's contents are (DPAPI on Windows, else AES-GCM with the folder's key
/// file), and beside them only the location without its password, for people reading the file.
/// </summary>
public static class SavedStore
{
    internal const string FileName = "store.json";

    private static string FilePath => Path.Combine(StatePaths.DefaultFolder, FileName);

    /// <summary>Whether a store is saved.</summary>
    public static bool Exists => File.Exists(FilePath);

    /// <summary>Saves a PostgreSQL store (and its key, Base64, when given) for this user.</summary>
    public static StoreLocation Save(string connection, string? keyBase64)
    {
        var location = StoreLocation.ForPostgres(connection);
        if (keyBase64 is not null) StoreKey.Parse(keyBase64);
        PrivateFiles.CreateFolder(StatePaths.DefaultFolder);
        // A new save replaces the old file whole, so a missing key file may be made anew here.
        var protector = new SecretProtector(StatePaths.DefaultFolder, storedSecretsExist: () => false);
        var saved = new Saved(location.ToString(), protector.Protect(connection.Trim()), keyBase64 is null ? null : protector.Protect(keyBase64.Trim()));
        AtomicFile.Replace(FilePath, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            w => w.Write(JsonSerializer.Serialize(saved, new JsonSerializerOptions { WriteIndented = true })));
        return location;
    }

    /// <summary>Forgets the saved store: the local SQLite data folder is used again.</summary>
    public static void Clear()
    {
        if (File.Exists(FilePath)) File.Delete(FilePath);
    }

    /// <summary>The saved store, or null when none is saved.</summary>
    internal static StoreChoice? Load()
    {
        if (!File.Exists(FilePath)) return null;
        Saved? saved;
        try
        {
            saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(FilePath));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw Unreadable(e);
        }
        if (saved?.Connection is null) throw Unreadable(null);
        var protector = new SecretProtector(StatePaths.DefaultFolder, storedSecretsExist: () => true);
        var connection = protector.Unprotect(saved.Connection);
        var key = saved.Key is null ? null : protector.Unprotect(saved.Key);
        return StoreChoice.ForPostgres(connection, key, "Configuration");
    }

    private static VppException Unreadable(Exception? inner) => new(VppErrorKind.StateStore, "VppSavedStoreUnreadable",
        $"The store saved with Set-VppConfiguration -Store ({FilePath}) cannot be read. Save it again with Set-VppConfiguration -Store, or go back to the local data folder with Set-VppConfiguration -Reset Store.",
        FilePath, inner);

    private sealed record Saved(string Store, string Connection, string? Key);
}
