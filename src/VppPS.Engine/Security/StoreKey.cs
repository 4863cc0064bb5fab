using System.Security.Cryptography;
using System.Text;

namespace VppPS.Engine.Security;

/// <summary>
/// The key a team shares for a PostgreSQL store: 32 random bytes, given as Base64
/// (VPPPS_STORE_KEY, Connect-VppStore -Key). Token contents and developer keys are encrypted with
/// it (AES-256-GCM) before they reach the database. The store keeps only a check value (an HMAC
/// of a fixed text under the key), so a wrong key is refused before anything is read or written.
/// </summary>
public static class StoreKey
{
    public const string Variable = "VPPPS_STORE_KEY";
    public const int Length = 32;
    private static readonly byte[] CheckText = "VppPS store key check v1"u8.ToArray();

    /// <summary>A new key, Base64 (New-VppStoreKey).</summary>
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(Length));

    /// <summary>The key's bytes; a clear error that never repeats the text for anything but Base64 of 32 bytes.</summary>
    public static byte[] Parse(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw Invalid("it is not Base64");
        }
        if (key.Length != Length) throw Invalid($"it holds {key.Length} bytes, not {Length}");
        return key;
    }

    /// <summary>What the store keeps to recognise the key: HMAC-SHA256 of a fixed text, Base64.</summary>
    public static string CheckValue(byte[] key) => Convert.ToBase64String(HMACSHA256.HashData(key, CheckText));

    public static bool Matches(byte[] key, string checkValue) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CheckValue(key)), Encoding.ASCII.GetBytes(checkValue));

    private static VppException Invalid(string why) => new(VppErrorKind.InvalidArgument, "VppStoreKeyInvalid",
        $"The store key cannot be used: {why}. A store key is Base64 of {Length} random bytes, as New-VppStoreKey prints.", null);
}
