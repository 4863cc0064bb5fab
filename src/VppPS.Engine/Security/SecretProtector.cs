using System.Security.Cryptography;
using System.Text;

namespace VppPS.Engine.Security;

/// <summary>
/// Encrypts secrets (content tokens, developer keys) before they reach the database.
/// Windows: DPAPI for the current user. Elsewhere: AES-256-GCM with a random key kept in a
/// file that only the user can read (mode 0600), beside the database but never inside it. A
/// new key is made only while the database holds no secret encrypted with a key: when the key
/// file is missing then, it is refused (every stored secret would become unreadable).
/// Stored form: "dpapi:&lt;base64&gt;" or "aesgcm:&lt;base64 nonce|tag|ciphertext&gt;".
/// </summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Entropy = "VppPS secret v1"u8.ToArray();
    private readonly string _keyFile;
    private readonly bool _useDpapi;
    private readonly Func<bool> _storedSecretsExist;
    private byte[]? _key;

    /// <param name="storedSecretsExist">Whether the database holds secrets encrypted with the key file (aesgcm:).</param>
    public SecretProtector(string folder, bool? useDpapi = null, Func<bool>? storedSecretsExist = null)
    {
        _keyFile = Path.Combine(folder, Store.StatePaths.KeyFileName);
        _useDpapi = useDpapi ?? OperatingSystem.IsWindows();
        _storedSecretsExist = storedSecretsExist ?? (() => false);
    }

    /// <summary>A protector with a key given from outside (a shared PostgreSQL store's key, <see cref="StoreKey"/>).</summary>
    internal SecretProtector(byte[] key)
    {
        _keyFile = "";
        _useDpapi = false;
        _storedSecretsExist = () => false;
        _key = key;
    }

    public string Protect(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        try
        {
            if (_useDpapi && OperatingSystem.IsWindows())
                return "dpapi:" + Convert.ToBase64String(ProtectWithDpapi(plain));
            var key = Key();
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var output = new byte[NonceSize + TagSize + plain.Length];
            using (var aes = new AesGcm(key, TagSize))
                aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
            nonce.CopyTo(output, 0);
            return "aesgcm:" + Convert.ToBase64String(output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public string Unprotect(string stored)
    {
        try
        {
            if (stored.StartsWith("dpapi:", StringComparison.Ordinal) && OperatingSystem.IsWindows())
                return Encoding.UTF8.GetString(UnprotectWithDpapi(Convert.FromBase64String(stored[6..])));
            if (!stored.StartsWith("aesgcm:", StringComparison.Ordinal))
                throw new FormatException("unknown secret format");
            if (_key is null && !File.Exists(_keyFile))
                throw KeyMissing();
            var data = Convert.FromBase64String(stored[7..]);
            var plain = new byte[data.Length - NonceSize - TagSize];
            using (var aes = new AesGcm(Key(), TagSize))
                aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize + TagSize), data.AsSpan(NonceSize, TagSize), plain);
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            throw new VppException(VppErrorKind.StateStore, "VppSecretUnreadable",
                (_keyFile.Length == 0 ? "A stored secret cannot be decrypted with the store key. " : $"A stored secret cannot be decrypted (the key file '{_keyFile}' or the Windows user profile changed). ") +
                "Upload the content token again with Update-VppToken, or restore the key file from a backup.", null, e);
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static byte[] ProtectWithDpapi(byte[] plain) => ProtectedData.Protect(plain, Entropy, DataProtectionScope.CurrentUser);

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static byte[] UnprotectWithDpapi(byte[] data) => ProtectedData.Unprotect(data, Entropy, DataProtectionScope.CurrentUser);

    /// <summary>
    /// The AES key: read from the key file, or created there (flushed to disk, then moved in
    /// place) on first use, unless secrets encrypted with a key are stored already.
    /// </summary>
    private byte[] Key()
    {
        if (_key is not null) return _key;
        if (!File.Exists(_keyFile))
        {
            if (_storedSecretsExist())
                throw KeyMissing();
            var folder = Path.GetDirectoryName(_keyFile)!;
            Store.PrivateFiles.CreateFolder(folder);
            var temp = _keyFile + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = Store.PrivateFiles.FileMode;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(RandomNumberGenerator.GetBytes(32));
                stream.Flush(flushToDisk: true);
            }
            try
            {
                // Two processes may race to create the key: the first move wins, the other reads it.
                File.Move(temp, _keyFile, overwrite: false);
                Store.PrivateFiles.SyncFolder(folder);
            }
            catch (IOException)
            {
                File.Delete(temp);
            }
        }
        var key = File.ReadAllBytes(_keyFile);
        if (key.Length != 32)
            throw new VppException(VppErrorKind.StateStore, "VppSecretKeyDamaged",
                $"The key file '{_keyFile}' is damaged (it must hold 32 bytes). Restore it from a backup; without it stored tokens cannot be read and must be uploaded again.", _keyFile);
        return _key = key;
    }

    private VppException KeyMissing() => new(VppErrorKind.StateStore, "VppSecretKeyMissing",
        $"The key file '{_keyFile}' is missing, but the state database holds secrets encrypted with it (content tokens, the Apple developer key). " +
        $"VppPS does not make a new key, which could never decrypt them. Restore '{Path.GetFileName(_keyFile)}' from a backup of the data folder " +
        $"'{Path.GetDirectoryName(_keyFile)}' (the backup the database came from) into that folder, readable by this account only, then run the command again.", _keyFile);
}
