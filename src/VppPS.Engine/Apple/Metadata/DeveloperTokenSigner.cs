using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace VppPS.Engine.Apple.Metadata;

/// <summary>
/// Signs the ES256 developer token of Apple's Apps and Books Metadata API (header kid, claims
/// iss, iat, exp) with the organization's P-256 key, and reuses it until shortly before expiry.
/// </summary>
public sealed class DeveloperTokenSigner : IDisposable
{
    /// <summary>Apple refuses tokens that expire more than 15777000 s (six months) after issue.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(15777000);
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(20);

    // A token is renewed this long before it expires, so none expires on its way to Apple.
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(1);

    private readonly ECDsa _key;
    private readonly ECDsaSecurityKey _securityKey;
    private readonly string _teamId;
    private readonly IClock _clock;
    private readonly TimeSpan _lifetime;
    private readonly object _gate = new();
    private (string Token, DateTimeOffset Expires)? _current;

    /// <param name="privateKeyPem">The .p8 key text ("-----BEGIN PRIVATE KEY-----", P-256).</param>
    /// <param name="teamId">The 10-character Team ID (iss).</param>
    /// <param name="keyId">The 10-character key ID (kid).</param>
    public DeveloperTokenSigner(string privateKeyPem, string teamId, string keyId, IClock? clock = null, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(teamId);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        _lifetime = lifetime ?? DefaultLifetime;
        if (_lifetime <= RenewBefore || _lifetime > MaxLifetime)
            throw new VppException(VppErrorKind.InvalidArgument, "VppDeveloperTokenLifetimeInvalid",
                $"A developer token must live more than {RenewBefore.TotalMinutes:0} minute and at most {MaxLifetime.TotalSeconds:0} seconds.");
        _key = ECDsa.Create();
        try
        {
            _key.ImportFromPem(privateKeyPem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            _key.Dispose();
            throw new VppException(VppErrorKind.InvalidArgument, "VppDeveloperKeyInvalid",
                "The metadata API key is not a PEM EC private key.", keyId, ex);
        }
        if (_key.KeySize != 256)
        {
            _key.Dispose();
            throw new VppException(VppErrorKind.InvalidArgument, "VppDeveloperKeyInvalid", "The metadata API key must be a P-256 key (ES256).", keyId);
        }
        // IdentityModel caches signature providers by key id: a later signer with the same key id
        // would get the provider of an earlier, disposed ECDsa. Each signer keeps its own.
        _securityKey = new ECDsaSecurityKey(_key) { KeyId = keyId, CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } };
        _teamId = teamId;
        _clock = clock ?? SystemClock.Instance;
    }

    /// <summary>A valid developer token, signed anew only when the last one is about to expire.</summary>
    public string GetToken()
    {
        lock (_gate)
        {
            var now = _clock.UtcNow;
            if (_current is { } current && now < current.Expires - RenewBefore)
                return current.Token;
            // JWT times are whole seconds.
            var issued = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
            var expires = issued + _lifetime;
            var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = _teamId,
                IssuedAt = issued.UtcDateTime,
                Expires = expires.UtcDateTime,
                SigningCredentials = new SigningCredentials(_securityKey, SecurityAlgorithms.EcdsaSha256),
            });
            _current = (token, expires);
            return token;
        }
    }

    public void Dispose() => _key.Dispose();
}
