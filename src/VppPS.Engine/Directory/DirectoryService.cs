using VppPS.Engine.Assignments;
using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Directories;

/// <summary>
/// The directory of the people and devices that assignments target: users, devices, user groups
/// and device groups with their members. Every change is journaled in its own transaction;
/// batches (pipelines, imports) go in one transaction. The assignment engine reads members with
/// <see cref="MembersOf(DbConnection, DbTransaction?, string)"/> and the people who left
/// with <see cref="RemovedUsers(DbConnection, DbTransaction?)"/>.
/// </summary>
public sealed class DirectoryService
{
    private readonly VppContext _context;

    public DirectoryService(VppContext context) => _context = context;

    private StateStore Store => _context.Store;

    // ---- Groups ----

    public VppGroup NewGroup(string name, DirectoryKind kind, string? description)
    {
        name = name?.Trim() ?? "";
        if (DirectoryValues.CheckGroupName(name) is { } problem) throw problem;
        return Store.Write((c, t) =>
        {
            using var writer = new DirectoryWriter(_context, c, t);
            if (writer.FindGroup(name) is { } existing)
                throw new VppException(VppErrorKind.AlreadyExists, "VppGroupExists",
                    $"A group named '{existing.Name}' already exists (a {existing.Kind} group). Choose another name, or add members to it with Add-VppGroupMember -Group '{existing.Name}'.", existing.Name);
            var group = writer.CreateGroup(name, kind, description, "");
            return ToGroup(group, 0);
        });
    }

    public IReadOnlyList<VppGroup> ListGroups() => Store.Read(c => DirectoryQueries.Groups(c, null, ""));

    public VppGroup GetGroup(string name) =>
        Store.Read(c => DirectoryQueries.Groups(c, null, " WHERE g.name = $name", ("$name", name.Trim())).FirstOrDefault()) ?? throw GroupNotFound(name);

    /// <summary>Removes the group and its memberships; returns how many members it had.</summary>
    /// <summary>
    /// Removes a group with its memberships and its assignments; the licenses those assignments
    /// gave stay (as when an assignment is removed without reclaiming).
    /// </summary>
    public GroupRemoval RemoveGroup(string name) => Store.Write((c, t) =>
    {
        using var writer = new DirectoryWriter(_context, c, t);
        var group = writer.FindGroup(name) ?? throw GroupNotFound(name);
        var members = DirectoryQueries.MemberCount(c, t, group.Key);
        var assignments = AssignmentRecords.IdsOfGroup(c, t, group.Key);
        foreach (var id in assignments) AssignmentService.Forget(c, t, id);
        writer.DeleteGroup(group);
        writer.Log($"group:{group.Name}", "Remove", $"removed the {group.Kind} group '{group.Name}', its {members} membership(s) and its {assignments.Count} assignment(s) (licenses kept)");
        return new GroupRemoval(members, assignments.Count);
    });

    // ---- Members ----

    /// <summary>
    /// Adds members in one transaction. Users and devices the directory does not know are added to
    /// it; known ones take the new non-empty attributes. Inputs that cannot be members of this
    /// group (see <see cref="MemberInput.Problem"/>) are refused before anything is written.
    /// </summary>
    public MembershipChange AddMembers(string groupName, IReadOnlyList<MemberInput> inputs, bool returnMembers = false) => Store.Write((c, t) =>
    {
        using var writer = new DirectoryWriter(_context, c, t);
        var group = writer.FindGroup(groupName) ?? throw GroupNotFound(groupName);
        foreach (var input in inputs)
            if (input.Problem(group.Kind, group.Name) is { } problem) throw problem;
        int added = 0, unchanged = 0, created = 0, updated = 0;
        var members = new List<VppGroupMember>();
        foreach (var input in inputs)
        {
            long key;
            string name;
            DirectoryWriter.Outcome outcome;
            if (group.Kind == DirectoryKind.User)
            {
                var (user, o) = writer.UpsertUser(input);
                (key, name, outcome) = (user.Key, user.Upn, o);
                if (returnMembers) members.Add(ToMember(group.Name, user));
            }
            else
            {
                var (device, o) = writer.UpsertDevice(input);
                (key, name, outcome) = (device.Key, device.Serial, o);
                if (returnMembers) members.Add(ToMember(group.Name, device));
            }
            if (outcome == DirectoryWriter.Outcome.Added) created++;
            else if (outcome == DirectoryWriter.Outcome.Updated) updated++;
            if (writer.AddMember(group, key, name)) added++; else unchanged++;
        }
        return new MembershipChange(group.Name, added, 0, unchanged, created, updated, members, [], writer.Changes);
    });

    /// <summary>Removes members (UPNs in a User group, serial numbers in a Device group) in one transaction; names that are not members come back in NotMembers.</summary>
    public MembershipChange RemoveMembers(string groupName, IReadOnlyList<string> keys) => Store.Write((c, t) =>
    {
        using var writer = new DirectoryWriter(_context, c, t);
        var group = writer.FindGroup(groupName) ?? throw GroupNotFound(groupName);
        int removed = 0;
        var notMembers = new List<string>();
        foreach (var raw in keys)
        {
            var key = raw.Trim();
            var (memberKey, name) = group.Kind == DirectoryKind.User
                ? writer.Users.TryGetValue(key, out var user) ? (user.Key, user.Upn) : (-1L, key)
                : writer.Devices.TryGetValue(DirectoryValues.NormalizeSerial(key), out var device) ? (device.Key, device.Serial) : (-1L, key);
            if (memberKey >= 0 && writer.RemoveMember(group, memberKey, name)) removed++;
            else notMembers.Add(key);
        }
        return new MembershipChange(group.Name, 0, removed, 0, 0, 0, [], notMembers, writer.Changes);
    });

    /// <summary>The members of a group, streamed in name order (groups can hold 100,000 devices).</summary>
    public IEnumerable<VppGroupMember> ListMembers(string groupName)
    {
        var group = GetGroup(groupName);
        using var c = Store.OpenConnection();
        foreach (var member in DirectoryQueries.Members(c, group)) yield return member;
    }

    // ---- Users and devices ----

    /// <summary>Directory users in UPN order, streamed; removed ones (tombstones) only when asked.</summary>
    public IEnumerable<DirectoryUser> ListUsers(bool includeRemoved)
    {
        using var c = Store.OpenConnection();
        foreach (var user in DirectoryQueries.Users(c, null, includeRemoved ? "" : " WHERE u.removed_at IS NULL")) yield return user;
    }

    /// <summary>Directory devices in serial-number order, streamed.</summary>
    public IEnumerable<DirectoryDevice> ListDevices(bool includeRemoved)
    {
        using var c = Store.OpenConnection();
        foreach (var device in DirectoryQueries.Devices(c, includeRemoved)) yield return device;
    }

    /// <summary>For tab completion: user principal names of present directory users that start with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<NameSuggestion> UserPrincipalNames(string prefix, int limit) => Store.Read(c => DirectoryQueries.UserPrincipalNames(c, prefix, limit));

    /// <summary>For tab completion: serial numbers of present directory devices that start with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<NameSuggestion> SerialNumbers(string prefix, int limit) => Store.Read(c => DirectoryQueries.SerialNumbers(c, prefix, limit));

    /// <summary>
    /// Removes a person from the directory: a tombstone stays (so the assignment engine can retire
    /// their VPP user) and they leave every group. Returns false when they were already removed.
    /// With <paramref name="commit"/> false the same work runs and is rolled back (-WhatIf), the
    /// warnings included.
    /// </summary>
    public bool RemoveUser(string userPrincipalName, bool commit = true)
    {
        Func<DbConnection, DbTransaction, bool> work = (c, t) =>
        {
            using var writer = new DirectoryWriter(_context, c, t);
            if (!writer.Users.TryGetValue(userPrincipalName.Trim(), out var user))
                throw new VppException(VppErrorKind.NotFound, "VppDirectoryUserNotFound",
                    $"No directory user has the user principal name '{userPrincipalName}'. Run Get-VppDirectoryUser to list them.", userPrincipalName);
            if (user.RemovedAt is not null) return false;
            writer.RemoveUser(user, "");
            WarnOfSeatsReleased(c, t, writer.Now);
            return true;
        };
        return commit ? Store.Write(work) : Store.Trial(work);
    }

    /// <summary>
    /// The people removed at <paramref name="removedAt"/> whose VPP users hold subscription seats:
    /// the next apply retires those users, and Apple then releases the seats at once (spec 2.10.4).
    /// </summary>
    private void WarnOfSeatsReleased(DbConnection c, DbTransaction t, string removedAt)
    {
        foreach (var person in Subscriptions.SubscriptionStore.SeatsReleasedByRetiring(c, t, null, removedAt).GroupBy(s => s.UserPrincipalName))
            _context.Observer.Warning($"'{person.Key}' holds subscription seats: {string.Join(", ", person.Select(s => $"'{s.Subscription}' under '{s.Token}'"))}. " +
                "Removed from the directory, their VPP user is retired at the next sync or apply (Sync-VppToken), and Apple then releases these seats at once, not at the end of the billing period.");
    }

    // ---- For the assignment engine ----

    /// <summary>The members of <paramref name="groupName"/> now, read in the caller's connection (and transaction, if any).</summary>
    public static GroupMembers MembersOf(DbConnection c, DbTransaction? t, string groupName) => DirectoryQueries.MembersOf(c, t, groupName);

    /// <summary>The members of the group with <paramref name="groupKey"/> (directory_groups.group_key).</summary>
    public static GroupMembers MembersOf(DbConnection c, DbTransaction? t, long groupKey) => DirectoryQueries.MembersOf(c, t, groupKey);

    public GroupMembers MembersOf(string groupName) => Store.Read(c => MembersOf(c, null, groupName));

    /// <summary>Users removed from the directory (tombstones), whose VPP users the assignment engine may retire.</summary>
    public static IReadOnlyList<DirectoryUser> RemovedUsers(DbConnection c, DbTransaction? t) =>
        DirectoryQueries.Users(c, t, " WHERE u.removed_at IS NOT NULL").ToList();

    public IReadOnlyList<DirectoryUser> RemovedUsers() => Store.Read(c => RemovedUsers(c, null));

    /// <summary>One directory user by VppPS id (managed_users.directory_user_id), removed or not; null when unknown.</summary>
    public static DirectoryUser? FindUser(DbConnection c, DbTransaction? t, string userId) =>
        DirectoryQueries.Users(c, t, " WHERE u.id = $id", ("$id", userId)).FirstOrDefault();

    // ---- Import ----

    /// <summary>
    /// Makes the directory agree with a CSV file (see <see cref="DirectoryCsv"/>), in one
    /// transaction; a second import of the same file changes nothing. With <paramref name="prune"/>
    /// the file is the whole directory: users and devices absent from it are removed (tombstones)
    /// and memberships absent from it are removed from every group. With <paramref name="commit"/>
    /// false the same work runs and is rolled back (what -WhatIf shows).
    /// </summary>
    public DirectoryImportResult Import(string path, bool prune, bool commit)
    {
        var (rows, ignored) = DirectoryCsv.Read(path);
        foreach (var column in ignored) _context.Observer.Verbose($"Column '{column}' of '{path}' is not one VppPS reads; ignored.");
        Func<DbConnection, DbTransaction, DirectoryImportResult> work = (c, t) =>
        {
            using var writer = new DirectoryWriter(_context, c, t);
            var result = new DirectoryImportResult { Path = path, Rows = rows.Count, Pruned = prune };
            var seenUsers = new HashSet<long>();
            var seenDevices = new HashSet<long>();
            var wanted = new Dictionary<long, HashSet<long>>();
            foreach (var row in rows)
            {
                var groups = new List<DirectoryWriter.GroupRow>();
                foreach (var name in row.Groups)
                {
                    var group = writer.FindGroup(name);
                    if (group is null)
                    {
                        group = writer.CreateGroup(name, row.Type, null, $" (line {row.Line} of the import file)");
                        result.GroupsCreated++;
                    }
                    if (group.Kind != row.Type)
                        throw new VppException(VppErrorKind.InvalidArgument, "VppGroupKindMismatch",
                            $"Line {row.Line} of '{path}' puts the {row.Type.ToString().ToLowerInvariant()} '{row.Member.Key(row.Type)}' in '{group.Name}', which is a {group.Kind} group. Nothing was imported.", path);
                    groups.Add(group);
                }
                long key;
                string memberName;
                if (row.Type == DirectoryKind.User)
                {
                    var (user, outcome) = writer.UpsertUser(row.Member);
                    (key, memberName) = (user.Key, user.Upn);
                    seenUsers.Add(key);
                    if (outcome == DirectoryWriter.Outcome.Added) result.UsersAdded++;
                    else if (outcome == DirectoryWriter.Outcome.Updated) result.UsersUpdated++;
                }
                else
                {
                    var (device, outcome) = writer.UpsertDevice(row.Member);
                    (key, memberName) = (device.Key, device.Serial);
                    seenDevices.Add(key);
                    if (outcome == DirectoryWriter.Outcome.Added) result.DevicesAdded++;
                    else if (outcome == DirectoryWriter.Outcome.Updated) result.DevicesUpdated++;
                }
                foreach (var group in groups)
                {
                    if (!wanted.TryGetValue(group.Key, out var set)) wanted[group.Key] = set = [];
                    set.Add(key);
                    if (writer.AddMember(group, key, memberName)) result.MembershipsAdded++;
                }
            }
            if (prune)
            {
                const string why = " (not in the import file)";
                foreach (var user in writer.Users.Values.Where(u => u.RemovedAt is null && !seenUsers.Contains(u.Key)).OrderBy(u => u.Upn, StringComparer.OrdinalIgnoreCase).ToList())
                {
                    result.MembershipsRemoved += writer.RemoveUser(user, why);
                    result.UsersRemoved++;
                }
                if (result.UsersRemoved > 0) WarnOfSeatsReleased(c, t, writer.Now);
                foreach (var device in writer.Devices.Values.Where(d => d.RemovedAt is null && !seenDevices.Contains(d.Key)).OrderBy(d => d.Serial, StringComparer.Ordinal).ToList())
                {
                    result.MembershipsRemoved += writer.RemoveDevice(device, why);
                    result.DevicesRemoved++;
                }
                var userNames = writer.Users.Values.ToDictionary(u => u.Key, u => u.Upn);
                var deviceNames = writer.Devices.Values.ToDictionary(d => d.Key, d => d.Serial);
                foreach (var group in writer.Groups.Values.OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase).ToList())
                {
                    var keep = wanted.GetValueOrDefault(group.Key) ?? [];
                    var names = group.Kind == DirectoryKind.User ? userNames : deviceNames;
                    foreach (var member in group.Members(writer).Where(m => !keep.Contains(m)).ToList())
                        if (writer.RemoveMember(group, member, names.GetValueOrDefault(member, $"#{member}"), why)) result.MembershipsRemoved++;
                }
            }
            result.Changes.AddRange(writer.Changes);
            return result;
        };
        return commit ? Store.Write(work) : Store.Trial(work);
    }

    // ---- Reading ----

    private static VppGroupMember ToMember(string group, DirectoryWriter.UserRow user) => new()
    {
        Group = group, Kind = DirectoryKind.User, UserPrincipalName = user.Upn, Mail = user.Mail, ManagedAppleId = user.ManagedAppleId,
        DisplayName = user.DisplayName, UserId = user.Id,
    };

    private static VppGroupMember ToMember(string group, DirectoryWriter.DeviceRow device) => new()
    {
        Group = group, Kind = DirectoryKind.Device, SerialNumber = device.Serial, DeviceName = device.Name, Owner = device.Owner, Platform = device.Platform,
    };

    private static VppGroup ToGroup(DirectoryWriter.GroupRow group, long members) => new()
    {
        Id = Guid.Parse(group.Id), Name = group.Name, Kind = group.Kind, Description = group.Description,
        CreatedDateTime = group.CreatedAt.ToDate(), MemberCount = members,
    };

    public static VppException GroupNotFound(string name) => new(VppErrorKind.NotFound, "VppGroupNotFound",
        $"No group is named '{name}'. Run Get-VppGroup to list the groups, or create it with New-VppGroup -Name '{name}' -Kind User|Device.", name);
}
