using VppPS.Engine.Apple.Metadata;
using VppPS.Engine.Store;

namespace VppPS.Engine.Sync;

/// <summary>
/// The organization's Apple developer key for the Apps and Books metadata API. The private key
/// is kept encrypted like content tokens; team and key ids are not secret.
/// </summary>
public sealed class MetadataCredentialStore
{
    private const string TeamIdName = "MetadataTeamId";
    private const string KeyIdName = "MetadataKeyId";
    private const string PrivateKeyName = "MetadataPrivateKey";
    private readonly VppContext _context;

    public MetadataCredentialStore(VppContext context) => _context = context;

    public sealed record Credential(string TeamId, string KeyId, string PrivateKeyPem);

    /// <summary>Checks the key signs (an EC P-256 key in PEM), then saves it.</summary>
    public void Save(string teamId, string keyId, string privateKeyPem)
    {
        if (teamId.Length != 10 || keyId.Length != 10)
            throw new VppException(VppErrorKind.InvalidArgument, "VppBadDeveloperKeyId",
                "Apple's Team ID and Key ID are 10 characters each (see Certificates, Identifiers & Profiles > Keys in your Apple developer account).", teamId);
        try
        {
            using var signer = new DeveloperTokenSigner(privateKeyPem, teamId, keyId, _context.Clock);
            _ = signer.GetToken();
        }
        catch (Exception e)
        {
            throw new VppException(VppErrorKind.InvalidArgument, "VppBadDeveloperKey",
                "The private key is not an Apple developer key: give the .p8 file (an EC P-256 key in PEM) downloaded with the Key ID.", keyId, e);
        }
        var protectedKey = _context.Session.Secrets.Protect(privateKeyPem);
        _context.Store.Write((c, t) =>
        {
            foreach (var (name, value) in new[] { (TeamIdName, teamId), (KeyIdName, keyId), (PrivateKeyName, protectedKey) })
                SettingRows.Save(c, t, name, value);
            _context.Journal.Write(c, t, "metadata-credential", "Set", $"Apple developer key {keyId} of team {teamId} saved for the metadata API");
        });
    }

    public void Remove() => _context.Store.Write((c, t) =>
    {
        SettingRows.Delete(c, t, TeamIdName, KeyIdName, PrivateKeyName);
        _context.Journal.Write(c, t, "metadata-credential", "Remove", "Apple developer key removed; metadata comes from the legacy lookup");
    });

    /// <summary>The ids without the key, for display.</summary>
    public (string TeamId, string KeyId)? Describe() => Read() is { } credential ? (credential.TeamId, credential.KeyId) : null;

    public Credential? Read()
    {
        var values = _context.Store.Read(c =>
        {
            using var command = c.Command(null, "SELECT name, value FROM settings WHERE name IN ($a, $b, $c)", ("$a", TeamIdName), ("$b", KeyIdName), ("$c", PrivateKeyName));
            using var reader = command.ExecuteReader();
            var found = new Dictionary<string, string>();
            while (reader.Read()) found[reader.GetString(0)] = reader.GetString(1);
            return found;
        });
        if (!values.TryGetValue(TeamIdName, out var team) || !values.TryGetValue(KeyIdName, out var key) || !values.TryGetValue(PrivateKeyName, out var pem))
            return null;
        return new Credential(team, key, _context.Session.Secrets.Unprotect(pem));
    }
}
