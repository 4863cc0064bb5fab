using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Store;

public class StateStoreTests
{
    [Fact]
    public void Open_creates_the_schema_in_wal_mode_with_foreign_keys()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        Assert.Equal(Migrations.LatestVersion, store.SchemaVersion);
        Assert.Equal("wal", store.JournalMode);
        Assert.Equal("ok", store.CheckIntegrity());
        Assert.Equal(1L, store.Read(c => (long)c.Scalar(null, "PRAGMA foreign_keys;")!));
    }

    [Fact]
    public void Opening_twice_does_not_migrate_again()
    {
        using var folder = new TempFolder();
        StateStore.Open(folder.Path).Write((c, t) => c.Execute(t, "INSERT INTO settings (name, value) VALUES ('TokenCap', '7')"));
        var again = StateStore.Open(folder.Path);
        Assert.Equal("7", again.Read(c => (string)c.Scalar(null, "SELECT value FROM settings WHERE name = 'TokenCap'")!));
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused()
    {
        using var folder = new TempFolder();
        StateStore.Open(folder.Path).Read(c => c.Execute(null, "PRAGMA user_version = 999"));
        var e = Assert.Throws<VppException>(() => StateStore.Open(folder.Path));
        Assert.Equal(VppErrorKind.StateStore, e.Kind);
        Assert.Equal("VppStateFromNewerVersion", e.ErrorId);
        Assert.Contains("newer VppPS", e.Message);
    }

    [Fact]
    public void A_failed_write_leaves_nothing_behind()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        Assert.Throws<InvalidOperationException>(() => store.Write((c, t) =>
        {
            c.Execute(t, "INSERT INTO settings (name, value) VALUES ('TokenCap', '9')");
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(0L, store.Read(c => (long)c.Scalar(null, "SELECT count(*) FROM settings")!));
    }

    [Fact]
    public async Task Concurrent_writers_queue_instead_of_failing()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        var journal = new AuditJournal(store, SystemClock.Instance, "test");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
                store.Write((c, t) => journal.Write(c, t, $"target{worker}", "Set", $"write {i}"));
        })));
        Assert.Equal(200, journal.Count(new AuditQuery()));
    }

    [Fact]
    public void An_unusable_folder_gives_a_clear_error()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<VppException>(() => StateStore.Open(Path.Combine(file, "sub")));
        Assert.Equal("VppStateFolderUnusable", e.ErrorId);
        Assert.Contains("VPPPS_HOME", e.Message);
    }
}
