using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Store;

/// <summary>
/// What the state database does when things go wrong around it: another writer, a read-only
/// file, a full disk, a damaged or foreign file; and that its files stay private to the user.
/// </summary>
public class StoreFaultTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly string[] DiscardingWords = ["aside", "delete", "remove it", "discard", "move it", "sync again"];

    private static void AssertNeverSuggestsDiscarding(string message)
    {
        foreach (var word in DiscardingWords)
            Assert.DoesNotContain(word, message, StringComparison.OrdinalIgnoreCase);
    }

    private static StateStore WithSetting(string folder)
    {
        var store = StateStore.Open(folder);
        store.Write((c, t) => c.Execute(t, "INSERT INTO settings (name, value) VALUES ('TokenCap', '7')"));
        return store;
    }

    // ---------------------------------------------------------------- private files (Unix)

    [Fact]
    public void A_new_data_folder_and_its_files_are_readable_by_the_user_only()
    {
        if (OperatingSystem.IsWindows()) return; // ACLs are left alone there
        using var parent = new TempFolder();
        var folder = Path.Combine(parent.Path, "new", "VppPS");
        var store = WithSetting(folder);
        using var held = store.OpenConnection(); // keeps the -wal and -shm files in place

        Assert.Equal(PrivateFolder, File.GetUnixFileMode(folder));
        foreach (var file in new[] { "vppps.db", "vppps.db-wal", "vppps.db-shm" })
            Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(folder, file)));
        Assert.Empty(store.OpeningWarnings);
    }

    [Fact]
    public void An_existing_installation_open_to_others_is_tightened_with_a_warning()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        WithSetting(folder.Path);
        SqliteConnection.ClearAllPools();
        const UnixFileMode open = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var logs = Directory.CreateDirectory(Path.Combine(folder.Path, "logs")).FullName;
        File.WriteAllText(Path.Combine(logs, "sync.log"), "a line");
        File.WriteAllText(Path.Combine(folder.Path, "report.html"), "<html/>");
        foreach (var file in Directory.GetFiles(folder.Path, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, open);
        File.SetUnixFileMode(folder.Path, open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(logs, open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        // Not VppPS's: a folder of something else, and a script whose user keeps running it.
        var other = Directory.CreateDirectory(Path.Combine(folder.Path, "other")).FullName;
        File.WriteAllText(Path.Combine(other, "notes.txt"), "x");
        File.SetUnixFileMode(Path.Combine(other, "notes.txt"), open);
        var script = Path.Combine(folder.Path, "backup.sh");
        File.WriteAllText(script, "#!/bin/sh");
        File.SetUnixFileMode(script, open | UnixFileMode.UserExecute);

        var store = StateStore.Open(folder.Path);

        Assert.Equal(PrivateFolder, File.GetUnixFileMode(folder.Path));
        Assert.Equal(PrivateFolder, File.GetUnixFileMode(logs));
        foreach (var file in Directory.GetFiles(folder.Path).Concat(Directory.GetFiles(logs)).Where(f => f != script))
            Assert.Equal(Private, File.GetUnixFileMode(file));
        Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(script));
        Assert.Equal(open, File.GetUnixFileMode(Path.Combine(other, "notes.txt")));
        var warning = Assert.Single(store.OpeningWarnings);
        Assert.Contains("could be read by other users", warning);
        Assert.Empty(StateStore.Open(folder.Path).OpeningWarnings); // said once: nothing left to tighten
    }

    [Fact]
    public void A_session_hands_the_opening_warning_to_its_first_caller_only()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        File.SetUnixFileMode(folder.Path, PrivateFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var session = VppSession.ForFolder(folder.Path);
        Assert.Single(session.TakeWarnings());
        Assert.Empty(session.TakeWarnings());
    }

    [Fact]
    public void A_replaced_file_is_new_and_private_or_keeps_its_mode()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        var report = Path.Combine(folder.Path, "report.csv");
        AtomicFile.Replace(report, System.Text.Encoding.UTF8, w => w.Write("a,b"));
        Assert.Equal(Private, File.GetUnixFileMode(report));
        Assert.Equal("a,b", File.ReadAllText(report));

        var shared = Path.Combine(folder.Path, "shared.csv");
        File.WriteAllText(shared, "old");
        File.SetUnixFileMode(shared, Private | UnixFileMode.GroupRead);
        AtomicFile.Replace(shared, System.Text.Encoding.UTF8, w => w.Write("new"));
        Assert.Equal(Private | UnixFileMode.GroupRead, File.GetUnixFileMode(shared));
        Assert.Equal(["report.csv", "shared.csv"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
    }

    // ---------------------------------------------------------------- durability

    [Fact]
    public void Every_connection_commits_to_disk_before_returning()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        Assert.Equal(2L, store.Read(c => (long)c.Scalar(null, "PRAGMA synchronous;")!)); // 2 = FULL
    }

    // ---------------------------------------------------------------- database failures

    [Fact]
    public void A_database_another_writer_holds_is_busy_and_says_to_try_again()
    {
        using var folder = new TempFolder();
        WithSetting(folder.Path);
        var impatient = StateStore.Open(folder.Path, readOnly: false, busyTimeout: TimeSpan.FromMilliseconds(50));
        using var other = new SqliteConnection($"Data Source={Path.Combine(folder.Path, StatePaths.DatabaseFileName)};Pooling=False");
        other.Open();
        using var holding = other.BeginTransaction(deferred: false);

        var e = Assert.Throws<VppException>(() => impatient.Write((c, t) => c.Execute(t, "UPDATE settings SET value = '8'")));

        Assert.Equal((VppErrorKind.Conflict, "VppStateBusy"), (e.Kind, e.ErrorId));
        Assert.Contains("Try again", e.Message);
        Assert.Contains("(SQLite error 5: 'database is locked')", e.Message); // SQLite's words once, not "SQLite error 5: SQLite Error 5: ..."
        Assert.DoesNotContain("SQLite Error", e.Message);
        AssertNeverSuggestsDiscarding(e.Message);
    }

    [Fact]
    public void A_read_only_database_says_so_and_how_to_fix_it()
    {
        // Tests run as root in CI, where file modes do not stop a write: the database is opened
        // read-only instead (SQLITE_READONLY, as on a read-only file or file system).
        using var folder = new TempFolder();
        WithSetting(folder.Path);
        var readOnly = StateStore.Open(folder.Path, readOnly: true, busyTimeout: null);

        var e = Assert.Throws<VppException>(() => readOnly.Write((c, t) => c.Execute(t, "UPDATE settings SET value = '8'")));

        Assert.Equal((VppErrorKind.PermissionDenied, "VppStateReadOnly"), (e.Kind, e.ErrorId));
        Assert.Contains("write access", e.Message);
        AssertNeverSuggestsDiscarding(e.Message);
        Assert.Equal("7", readOnly.Read(c => (string)c.Scalar(null, "SELECT value FROM settings")!));
    }

    [Fact]
    public void A_full_disk_is_told_as_such_through_commands_and_raw_statements()
    {
        using var folder = new TempFolder();
        var store = WithSetting(folder.Path);
        // The "disk" is full: the file may not grow by a single page.
        store.OnOpen = c => c.Execute(null, $"PRAGMA max_page_count = {(long)c.Scalar(null, "PRAGMA page_count;")!};");
        var big = new string('x', 100_000);

        var e = Assert.Throws<VppException>(() => store.Write((c, t) => c.Execute(t, "INSERT INTO settings (name, value) VALUES ('big', $v)", ("$v", big))));
        Assert.Equal((VppErrorKind.DiskFull, "VppStateDiskFull"), (e.Kind, e.ErrorId));
        Assert.Contains("Free space", e.Message);
        AssertNeverSuggestsDiscarding(e.Message);

        var raw = Assert.Throws<VppException>(() => store.Write((c, t) =>
        {
            using var insert = new RawStatement(c, "INSERT INTO settings (name, value) VALUES (?1, ?2)");
            insert.Bind(1, "big");
            insert.Bind(2, big);
            insert.Execute();
        }));
        Assert.Equal("VppStateDiskFull", raw.ErrorId);
    }

    [Fact]
    public void A_damaged_file_is_refused_with_restore_advice_and_reported_by_the_check()
    {
        using var folder = new TempFolder();
        WithSetting(folder.Path);
        SqliteConnection.ClearAllPools();
        var path = Path.Combine(folder.Path, StatePaths.DatabaseFileName);
        using (var file = File.OpenWrite(path))
            file.Write(RandomNumberGenerator.GetBytes(100)); // the header

        var e = Assert.Throws<VppException>(() => StateStore.Open(folder.Path));
        Assert.Equal((VppErrorKind.Damaged, "VppStateDamaged"), (e.Kind, e.ErrorId));
        Assert.Contains("Test-VppDatabase", e.Message);
        Assert.Contains("backup", e.Message);
        AssertNeverSuggestsDiscarding(e.Message);

        var check = StateStore.Check(folder.Path);
        Assert.False(check.IsHealthy);
        Assert.Contains("damaged", check.Problem);
        Assert.Null(check.SchemaVersion);
    }

    [Fact]
    public void A_text_file_is_told_as_not_a_sqlite_database_not_as_damage_and_left_unchanged()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, StatePaths.DatabaseFileName);
        File.WriteAllText(path, "Riverside High School, 2026\nNotes about the iPads\n");
        var before = File.ReadAllBytes(path);

        var e = Assert.Throws<VppException>(() => StateStore.Open(folder.Path));
        Assert.Equal((VppErrorKind.StateStore, "VppStateNotADatabase"), (e.Kind, e.ErrorId));
        Assert.Contains("is not a SQLite database, so not a VppPS state database: it holds text", e.Message);
        Assert.Contains("VPPPS_HOME", e.Message);
        Assert.DoesNotContain("damaged", e.Message);
        Assert.DoesNotContain("SQLite Error", e.Message);
        AssertNeverSuggestsDiscarding(e.Message);

        var check = StateStore.Check(folder.Path);
        Assert.False(check.IsHealthy);
        Assert.Contains("not a SQLite database", check.Problem);
        Assert.DoesNotContain("damaged", check.Problem);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Damaged_pages_fail_the_integrity_check_as_data()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        store.Write((c, t) =>
        {
            for (var i = 0; i < 2000; i++)
                c.Execute(t, "INSERT INTO audit_log (at, user_name, host_name, command, target, action, summary) VALUES ('2025', 'u', 'h', 'c', $t, 'a', 's')", ("$t", "target" + i));
        });
        SqliteConnection.ClearAllPools(); // the last connection checkpoints the WAL into the file
        var path = Path.Combine(folder.Path, StatePaths.DatabaseFileName);
        var bytes = File.ReadAllBytes(path);
        var pageSize = (bytes[16] << 8) | bytes[17];
        var pages = bytes.Length / pageSize;
        for (var page = pages / 2; page < pages; page += 3) // every third page of the second half
            RandomNumberGenerator.Fill(bytes.AsSpan(page * pageSize, pageSize));
        File.WriteAllBytes(path, bytes);

        var check = StateStore.Check(folder.Path);

        Assert.False(check.IsHealthy);
        Assert.NotEqual("ok", check.IntegrityCheck);
        Assert.Contains("backup", check.Problem);
        AssertNeverSuggestsDiscarding(check.Problem!);
    }

    [Fact]
    public void A_sound_database_passes_the_check()
    {
        using var folder = new TempFolder();
        WithSetting(folder.Path);
        var check = StateStore.Check(folder.Path);
        Assert.True(check.IsHealthy);
        Assert.Equal(("ok", Migrations.LatestVersion, "wal"), (check.IntegrityCheck, check.SchemaVersion, check.JournalMode));
    }

    [Fact]
    public void No_message_of_the_mapping_suggests_discarding_the_database()
    {
        foreach (var code in new[] { 1, 3, 5, 6, 8, 10, 11, 13, 14, 23, 26, 266, 778 })
        {
            var e = DatabaseErrors.From(new SqliteException("some failure", code), "/data/vppps.db");
            AssertNeverSuggestsDiscarding(e.Message);
            Assert.StartsWith("Vpp", e.ErrorId);
        }
        AssertNeverSuggestsDiscarding(DatabaseErrors.NewerSchema("/data/vppps.db", 99).Message);
    }

    // ---------------------------------------------------------------- not VppPS's database

    [Fact]
    public void A_foreign_sqlite_file_is_refused_and_left_unchanged()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, StatePaths.DatabaseFileName);
        using (var foreign = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            foreign.Open();
            foreign.Execute(null, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');");
        }
        var before = File.ReadAllBytes(path);

        var e = Assert.Throws<VppException>(() => StateStore.Open(folder.Path));

        Assert.Equal((VppErrorKind.StateStore, "VppStateForeignDatabase"), (e.Kind, e.ErrorId));
        Assert.Contains("customers", e.Message);
        Assert.Contains("VPPPS_HOME", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path)); // not switched to WAL, not migrated
        Assert.False(File.Exists(path + "-wal"));
        Assert.False(StateStore.Check(folder.Path).IsHealthy);
    }

    [Fact]
    public void A_sqlite_file_of_another_application_is_refused()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, StatePaths.DatabaseFileName);
        using (var foreign = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            foreign.Open();
            foreign.Execute(null, "PRAGMA application_id = 42; PRAGMA user_version = 3;");
        }
        var e = Assert.Throws<VppException>(() => StateStore.Open(folder.Path));
        Assert.Equal("VppStateForeignDatabase", e.ErrorId);
    }

    [Fact]
    public void A_database_of_an_earlier_VppPS_is_recognised_and_marked_as_VppPSs()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, StatePaths.DatabaseFileName);
        using (var earlier = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            earlier.Open();
            for (var step = 0; step < 6; step++) // the schema before the application id was set
                earlier.Execute(null, Migrations.Steps[step] + $"\nPRAGMA user_version = {step + 1};");
        }

        var store = StateStore.Open(folder.Path);

        Assert.Equal(Migrations.LatestVersion, store.SchemaVersion);
        Assert.Equal((long)SqliteDatabase.ApplicationId, store.Read(c => (long)c.Scalar(null, "PRAGMA application_id;")!));
    }
}
