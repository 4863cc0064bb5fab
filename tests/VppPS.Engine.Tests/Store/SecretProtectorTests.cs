using System.Text;
using VppPS.Engine.Security;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Store;

public class SecretProtectorTests
{
    private const string Secret = "eyJ0b2tlbiI6IlNFQ1JFVC1UT0tFTi1WQUxVRS0xMjM0NTY3ODkwIn0=";

    [Fact]
    public void Round_trips_and_never_stores_the_plaintext()
    {
        using var folder = new TempFolder();
        var protector = new SecretProtector(folder.Path);
        var stored = protector.Protect(Secret);
        Assert.DoesNotContain(Secret, stored);
        Assert.NotEqual(stored, protector.Protect(Secret)); // a fresh nonce every time
        Assert.Equal(Secret, protector.Unprotect(stored));
        Assert.Equal(Secret, new SecretProtector(folder.Path).Unprotect(stored)); // key persisted
    }

    [Fact]
    public void The_plaintext_appears_nowhere_in_the_database_files()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        var protector = new SecretProtector(folder.Path);
        store.Write((c, t) => c.Execute(t, "INSERT INTO settings (name, value) VALUES ('secret', $v)", ("$v", protector.Protect(Secret))));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(folder.Path, "vppps.db*"))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(bytes));
            Assert.DoesNotContain("SECRET-TOKEN-VALUE", Encoding.UTF8.GetString(bytes));
        }
    }

    [Fact]
    public void The_key_file_is_readable_by_the_user_only()
    {
        if (OperatingSystem.IsWindows()) return; // DPAPI there: no key file
        using var folder = new TempFolder();
        new SecretProtector(folder.Path).Protect(Secret);
        var mode = File.GetUnixFileMode(Path.Combine(folder.Path, StatePaths.KeyFileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void A_wrong_key_gives_a_clear_error_not_garbage()
    {
        using var first = new TempFolder();
        using var second = new TempFolder();
        var stored = new SecretProtector(first.Path).Protect(Secret);
        var other = new SecretProtector(second.Path);
        other.Protect("a secret of the other folder"); // which has a key of its own
        var e = Assert.Throws<VppException>(() => other.Unprotect(stored));
        Assert.Equal("VppSecretUnreadable", e.ErrorId);
        Assert.DoesNotContain(Secret, e.Message);
    }

    [Fact]
    public void A_missing_key_file_is_refused_when_secrets_are_stored_and_never_replaced()
    {
        if (OperatingSystem.IsWindows()) return; // DPAPI there: no key file
        using var folder = new TempFolder();
        var session = VppSession.ForFolder(folder.Path);
        var stored = session.Secrets.Protect(Secret);
        session.Store.Write((c, t) => c.Execute(t, "INSERT INTO settings (name, value) VALUES ('secret', $v)", ("$v", stored)));
        var keyFile = Path.Combine(folder.Path, StatePaths.KeyFileName);
        File.Delete(keyFile);

        var again = VppSession.ForFolder(folder.Path);
        var unprotect = Assert.Throws<VppException>(() => again.Secrets.Unprotect(stored));
        var protect = Assert.Throws<VppException>(() => again.Secrets.Protect("another secret"));

        foreach (var e in new[] { unprotect, protect })
        {
            Assert.Equal((VppErrorKind.StateStore, "VppSecretKeyMissing"), (e.Kind, e.ErrorId));
            Assert.Contains("backup", e.Message);
            Assert.Contains(keyFile, e.Message);
            Assert.DoesNotContain(Secret, e.Message);
        }
        Assert.False(File.Exists(keyFile));
    }

    [Fact]
    public void A_first_key_is_made_when_no_secret_is_stored()
    {
        using var folder = new TempFolder();
        var session = VppSession.ForFolder(folder.Path);
        Assert.Equal(Secret, session.Secrets.Unprotect(session.Secrets.Protect(Secret)));
    }
}
