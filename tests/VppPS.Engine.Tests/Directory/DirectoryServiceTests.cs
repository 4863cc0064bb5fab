using System.Diagnostics;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Directories;

public sealed class DirectoryServiceTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly IDisposable? _database;
    private readonly VppContext _context;
    private readonly DirectoryService _directory;

    public DirectoryServiceTests()
    {
        try
        {
            _context = new VppContext(TestStores.Session(_folder.Path, out _database), "xunit", NullObserver.Instance);
        }
        catch
        {
            _database?.Dispose();
            _folder.Dispose(); // xunit disposes no test whose constructor threw
            throw;
        }
        _directory = new DirectoryService(_context);
    }

    public void Dispose()
    {
        _database?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void Schema_step_4_creates_the_directory_tables()
    {
        if (!TestStores.Postgres) Assert.True(_context.Store.SchemaVersion >= 4); // SQLite's step 4; PostgreSQL numbers its own steps
        var tables = _context.Store.Read(c =>
        {
            using var command = c.Command(null, c.IsPostgres()
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                : "SELECT name FROM sqlite_master WHERE type = 'table'");
            using var reader = command.ExecuteReader();
            var names = new List<string>();
            while (reader.Read()) names.Add(reader.GetString(0));
            return names;
        });
        Assert.Contains("directory_users", tables);
        Assert.Contains("directory_devices", tables);
        Assert.Contains("directory_groups", tables);
        Assert.Contains("group_members", tables);
    }

    [Fact]
    public void Groups_have_unique_names_regardless_of_case()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, "staff");
        var e = Assert.Throws<VppException>(() => _directory.NewGroup("teachers", DirectoryKind.Device, null));
        Assert.Equal("VppGroupExists", e.ErrorId);
        Assert.Equal(VppErrorKind.AlreadyExists, e.Kind);
        Assert.Equal("VppGroupNameInvalid", Assert.Throws<VppException>(() => _directory.NewGroup("a;b", DirectoryKind.User, null)).ErrorId);
    }

    [Fact]
    public void Members_of_a_user_group_come_with_the_addresses_Apple_knows()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, null);
        var change = _directory.AddMembers("Teachers", [
            new MemberInput { UserPrincipalName = "a@x.example", Id = "e1", Mail = "a@x.example", ManagedAppleId = "a@appleid.example" },
            new MemberInput { UserPrincipalName = "B@x.example" },
        ]);
        Assert.Equal(2, change.Added);
        Assert.Equal(2, change.CreatedInDirectory);
        var members = _directory.MembersOf("TEACHERS");
        Assert.Equal(DirectoryKind.User, members.Kind);
        Assert.Empty(members.SerialNumbers);
        var a = Assert.Single(members.Users, u => u.UserPrincipalName == "a@x.example");
        Assert.Equal("a@appleid.example", a.ManagedAppleId);
        Assert.True(Guid.TryParse(a.Id, out _));

        // Again: nothing new; a new non-empty value updates, an empty one never clears.
        var again = _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "b@X.example", Mail = "b@x.example" }, new MemberInput { UserPrincipalName = "a@x.example" }]);
        Assert.Equal((0, 2, 0, 1), (again.Added, again.Unchanged, again.CreatedInDirectory, again.UpdatedInDirectory));
        Assert.Equal("a@appleid.example", _directory.MembersOf("Teachers").Users.Single(u => u.UserPrincipalName == "a@x.example").ManagedAppleId);
    }

    [Fact]
    public void A_renamed_user_keeps_their_identity()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, null);
        _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "old@x.example", Id = "entra-1" }]);
        var before = _directory.MembersOf("Teachers").Users.Single();
        _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "new@x.example", Id = "entra-1" }]);
        var after = _directory.MembersOf("Teachers").Users.Single();
        Assert.Equal(before.Id, after.Id);
        Assert.Equal("new@x.example", after.UserPrincipalName);
    }

    [Fact]
    public void Wrong_kinds_are_refused_before_anything_is_written()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, null);
        _directory.NewGroup("iPads", DirectoryKind.Device, null);
        var device = new MemberInput { SerialNumber = "C02X", UserPrincipalName = "a@x.example", DeviceName = "iPad" };
        Assert.Equal("VppGroupKindMismatch", device.Problem(DirectoryKind.User, "Teachers")!.ErrorId);
        Assert.Equal("VppGroupKindMismatch", new MemberInput { UserPrincipalName = "a@x.example" }.Problem(DirectoryKind.Device, "iPads")!.ErrorId);
        Assert.Throws<VppException>(() => _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "ok@x.example" }, device]));
        Assert.Empty(_directory.MembersOf("Teachers").Users);
        Assert.Empty(_directory.ListUsers(includeRemoved: true));
    }

    [Fact]
    public void A_device_group_keeps_upper_case_serials_and_the_owner()
    {
        _directory.NewGroup("iPads", DirectoryKind.Device, null);
        _directory.AddMembers("iPads", [new MemberInput { SerialNumber = " c02x ", UserPrincipalName = "a@x.example", Platform = "iPadOS" }]);
        Assert.Equal(["C02X"], _directory.MembersOf("ipads").SerialNumbers);
        var device = Assert.Single(_directory.ListDevices(false));
        Assert.Equal("a@x.example", device.Owner);
        Assert.Equal(["iPads"], device.Groups);
        Assert.Empty(_directory.ListUsers(false));
    }

    [Fact]
    public void A_removed_user_leaves_every_group_and_stays_as_a_tombstone_until_added_again()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, null);
        _directory.NewGroup("Science", DirectoryKind.User, null);
        _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "a@x.example" }]);
        _directory.AddMembers("Science", [new MemberInput { UserPrincipalName = "a@x.example" }]);
        var id = _directory.MembersOf("Teachers").Users.Single().Id;
        Assert.True(_directory.RemoveUser("A@x.example"));
        Assert.False(_directory.RemoveUser("a@x.example"));
        Assert.Empty(_directory.MembersOf("Teachers").Users);
        Assert.Empty(_directory.MembersOf("Science").Users);
        var removed = Assert.Single(_directory.RemovedUsers());
        Assert.Equal(id, removed.UserId);
        Assert.NotNull(removed.RemovedDateTime);
        Assert.Empty(_directory.ListUsers(false));

        var back = _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "a@x.example" }]);
        Assert.Equal(1, back.CreatedInDirectory);
        Assert.Empty(_directory.RemovedUsers());
        Assert.Equal(id, _directory.MembersOf("Teachers").Users.Single().Id);
    }

    [Fact]
    public void Removing_a_group_removes_its_memberships_only()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, null);
        _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "a@x.example" }]);
        Assert.Equal(new GroupRemoval(1, 0), _directory.RemoveGroup("teachers"));
        Assert.Empty(_directory.ListGroups());
        Assert.Single(_directory.ListUsers(false));
        Assert.Equal(0L, _context.Store.Read(c => (long)c.Scalar(null, "SELECT count(*) FROM group_members")!));
        Assert.Equal("VppGroupNotFound", Assert.Throws<VppException>(() => _directory.MembersOf("Teachers")).ErrorId);
    }

    [Fact]
    public void Every_change_is_journaled()
    {
        _directory.NewGroup("Teachers", DirectoryKind.User, null);
        _directory.AddMembers("Teachers", [new MemberInput { UserPrincipalName = "a@x.example" }]);
        _directory.RemoveMembers("Teachers", ["a@x.example", "nobody@x.example"]);
        var entries = _context.Journal.Read(new AuditQuery(), 0, 100).Select(e => (e.Target, e.Action)).ToList();
        Assert.Contains(("group:Teachers", "New"), entries);
        Assert.Contains(("user:a@x.example", "Add"), entries);
        Assert.Contains(("group:Teachers", "AddMember"), entries);
        Assert.Contains(("group:Teachers", "RemoveMember"), entries);
    }

    [Fact]
    public void A_hundred_thousand_devices_join_a_group_in_one_transaction()
    {
        _directory.NewGroup("All iPads", DirectoryKind.Device, null);
        var devices = Enumerable.Range(0, 100_000).Select(i => new MemberInput { SerialNumber = $"DMP{i:D7}", DeviceName = $"iPad {i}", Platform = "iPadOS" }).ToList();
        var clock = Stopwatch.StartNew();
        var change = _directory.AddMembers("All iPads", devices);
        var added = clock.Elapsed;
        Assert.Equal(100_000, change.Added);
        clock.Restart();
        var members = _directory.MembersOf("All iPads");
        var read = clock.Elapsed;
        Assert.Equal(100_000, members.SerialNumbers.Count);
        Console.WriteLine($"100,000 devices: added in {added.TotalSeconds:F2} s, members read in {read.TotalMilliseconds:F0} ms");
        Assert.True(added < TimeSpan.FromSeconds(60), $"adding took {added}");
    }

    [Fact]
    public void Import_is_idempotent_and_prune_makes_the_file_the_whole_directory()
    {
        var file = Path.Combine(_folder.Path, "d.csv");
        File.WriteAllText(file, """"
            Type,UserPrincipalName,Mail,ManagedAppleId,DisplayName,Id,SerialNumber,DeviceName,Owner,Platform,Groups
            User,a@x.example,a@x.example,,"Ruiz, Ana",e1,,,,,Teachers;Science
            User,b@x.example,,,,e2,,,,,Teachers
            Device,,,,,,dmp1,"Lib ""7""",a@x.example,iPadOS,Library iPads
            """");
        var first = _directory.Import(file, prune: false, commit: true);
        Assert.Equal((2, 1, 3, 4), (first.UsersAdded, first.DevicesAdded, first.GroupsCreated, first.MembershipsAdded));
        Assert.Equal("Lib \"7\"", _directory.ListDevices(false).Single().DeviceName);
        Assert.Equal(0, _directory.Import(file, prune: false, commit: true).TotalChanges);

        _directory.NewGroup("Hand made", DirectoryKind.User, null);
        _directory.AddMembers("Hand made", [new MemberInput { UserPrincipalName = "c@x.example" }]);
        File.WriteAllText(file, """
            Type,UserPrincipalName,Groups
            User,a@x.example,Teachers
            """);
        var trial = _directory.Import(file, prune: true, commit: false);
        Assert.Equal(2, trial.UsersRemoved);
        Assert.Equal(3, _directory.ListUsers(false).Count());
        var pruned = _directory.Import(file, prune: true, commit: true);
        Assert.Equal((2, 1), (pruned.UsersRemoved, pruned.DevicesRemoved));
        Assert.Equal(4, pruned.MembershipsRemoved); // b from Teachers, c from Hand made, the device, a from Science
        Assert.Equal(["a@x.example"], _directory.ListUsers(false).Select(u => u.UserPrincipalName));
        Assert.Equal(2, _directory.RemovedUsers().Count);
        Assert.Equal(0, _directory.Import(file, prune: true, commit: true).TotalChanges);
    }

    [Theory]
    [InlineData("Type,UserPrincipalName\nUser,a@x.example\n,b@x.example\n", "VppDirectoryRowInvalid", "Line 3")]
    [InlineData("Type,UserPrincipalName\nPrinter,a@x.example\n", "VppDirectoryRowInvalid", "Line 2")]
    [InlineData("Type,UserPrincipalName\nUser,\n", "VppDirectoryRowInvalid", "Line 2")]
    [InlineData("Type,UserPrincipalName\nUser,a@x.example\nUser,A@x.example\n", "VppDirectoryRowDuplicate", "Line 3")]
    [InlineData("Type,UserPrincipalName,SerialNumber\nUser,a@x.example,C02X\n", "VppDirectoryRowInvalid", "Line 2")]
    [InlineData("Type,UserPrincipalName\nUser,\"a@x.example\n", "VppDirectoryCsvInvalid", "Line 2")]
    [InlineData("name;mail\nana;a@x\n", "VppDirectoryFileNotCsv", "header")]
    [InlineData("Type,UserPrincipalName,Groups\nUser,a@x.example,iPads\n", "VppGroupKindMismatch", "Line 2")]
    public void Bad_files_are_refused_naming_the_line_and_nothing_is_written(string content, string errorId, string mentions)
    {
        _directory.NewGroup("iPads", DirectoryKind.Device, null);
        var file = Path.Combine(_folder.Path, "bad.csv");
        File.WriteAllText(file, content);
        var e = Assert.Throws<VppException>(() => _directory.Import(file, prune: false, commit: true));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Contains(mentions, e.Message);
        Assert.Empty(_directory.ListUsers(true));
        Assert.Single(_directory.ListGroups());
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        var e = Assert.Throws<VppException>(() => _directory.Import(Path.Combine(_folder.Path, "none.csv"), false, true));
        Assert.Equal("VppDirectoryFileNotFound", e.ErrorId);
    }
}
