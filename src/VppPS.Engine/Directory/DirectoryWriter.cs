using System.Data.Common;
using Npgsql;
using VppPS.Engine.Store;

namespace VppPS.Engine.Directories;

/// <summary>
/// The directory's changes inside one write transaction: users, devices, groups and memberships
/// read once into memory, then changed with prepared statements, each change journaled. This is
/// what lets 100,000 devices join a group in one transaction in about a second. On PostgreSQL the
/// writes are sent in batches (<see cref="WriteBehind"/>) and new rows take keys drawn in blocks
/// from their identity sequence, so that no write waits for a round trip of its own.
/// </summary>
internal sealed class DirectoryWriter : IDisposable
{
    private readonly DbConnection _c;
    private readonly DbTransaction _t;
    private readonly AuditBatch _journal;
    private readonly WriteBehind _writes;
    private readonly Dictionary<string, Queue<long>> _keys = [];
    private readonly string _now;
    private readonly List<DbCommand> _commands = [];
    private Dictionary<string, UserRow>? _users;
    private Dictionary<string, UserRow>? _usersByExternalId;
    private Dictionary<string, DeviceRow>? _devices;
    private Dictionary<string, GroupRow>? _groups;
    private DbCommand? _insertUser, _updateUser, _insertDevice, _updateDevice, _insertMember, _deleteMember;

    public DirectoryWriter(VppContext context, DbConnection connection, DbTransaction transaction)
    {
        _c = connection;
        _t = transaction;
        _writes = new WriteBehind(connection, transaction);
        _journal = context.Journal.Batch(connection, transaction, _writes);
        _now = context.Clock.UtcNow.ToStored();
    }

    /// <summary>The stored time of this writer's changes (removed_at of the people it removes).</summary>
    public string Now => _now;

    /// <summary>One line per change, in order (for -Verbose).</summary>
    public List<string> Changes { get; } = [];

    public Dictionary<string, UserRow> Users => _users ??= LoadUsers();
    public Dictionary<string, DeviceRow> Devices => _devices ??= LoadDevices();
    public Dictionary<string, GroupRow> Groups => _groups ??= LoadGroups();

    public GroupRow? FindGroup(string name) => Groups.GetValueOrDefault(name.Trim());

    public GroupRow CreateGroup(string name, DirectoryKind kind, string? description, string why)
    {
        if (DirectoryValues.CheckGroupName(name) is { } problem) throw problem;
        if (MemberInput.Clean(description) is { } text) NameRules.Ensure(text, "group description", "VppGroupDescriptionInvalid");
        var id = Guid.NewGuid().ToString();
        _writes.Flush();
        var key = (long)_c.Scalar(_t,
            "INSERT INTO directory_groups (id, name, kind, description, created_at) VALUES ($id, $name, $kind, $description, $now) RETURNING group_key",
            ("$id", id), ("$name", name), ("$kind", kind.ToString()), ("$description", MemberInput.Clean(description)), ("$now", _now))!;
        var group = new GroupRow(key, id, name, kind, MemberInput.Clean(description), _now);
        Groups[name] = group;
        Log($"group:{name}", "New", $"created the {kind} group '{name}'{why}");
        return group;
    }

    /// <summary>Deletes the group (its memberships go with it, by cascade).</summary>
    public void DeleteGroup(GroupRow group) =>
        _c.Execute(_t, "DELETE FROM directory_groups WHERE group_key = $g", ("$g", group.Key));

    /// <summary>Adds or updates the user <paramref name="input"/> names (by UPN, or by external id when the UPN changed).</summary>
    public (UserRow Row, Outcome Outcome) UpsertUser(MemberInput input)
    {
        var upn = MemberInput.Clean(input.UserPrincipalName)!;
        var externalId = MemberInput.Clean(input.Id);
        var mail = MemberInput.Clean(input.Mail);
        var managed = MemberInput.Clean(input.ManagedAppleId);
        var display = MemberInput.Clean(input.DisplayName);
        if (!Users.TryGetValue(upn, out var row) && externalId is not null && ByExternalId().TryGetValue(externalId, out var renamed))
        {
            // The same person under a new UPN (renamed at the source): keep their VppPS id.
            Users.Remove(renamed.Upn);
            Log($"user:{upn}", "Update", $"user principal name changed from {renamed.Upn} (same id {externalId})");
            renamed.Upn = upn;
            Users[upn] = renamed;
            row = renamed;
            row.Dirty = true;
        }
        if (row is null)
        {
            _insertUser ??= Prepare("""
                INSERT INTO directory_users (user_key, id, user_principal_name, mail, managed_apple_id, display_name, external_id, created_at, updated_at)
                VALUES ($key, $id, $upn, $mail, $managed, $display, $external, $now, $now) RETURNING user_key
                """, "$key", "$id", "$upn", "$mail", "$managed", "$display", "$external", "$now");
            var id = Guid.NewGuid().ToString();
            var key = Insert(_insertUser, "directory_users", "user_key", id, upn, mail, managed, display, externalId, _now);
            row = new UserRow { Key = key, Id = id, Upn = upn, Mail = mail, ManagedAppleId = managed, DisplayName = display, ExternalId = externalId };
            Users[upn] = row;
            if (externalId is not null && _usersByExternalId is not null) _usersByExternalId[externalId] = row;
            Log($"user:{upn}", "Add", "added to the directory" + Describe(("mail", mail), ("Managed Apple Account", managed)));
            return (row, Outcome.Added);
        }
        var changed = new List<string>();
        if (Differs(row.Mail, mail)) { row.Mail = mail; changed.Add("mail"); }
        if (Differs(row.ManagedAppleId, managed)) { row.ManagedAppleId = managed; changed.Add("Managed Apple Account"); }
        if (Differs(row.DisplayName, display)) { row.DisplayName = display; changed.Add("display name"); }
        if (Differs(row.ExternalId, externalId)) { row.ExternalId = externalId; changed.Add("external id"); }
        var restored = row.RemovedAt is not null;
        if (changed.Count == 0 && !restored && !row.Dirty) return (row, Outcome.Unchanged);
        row.RemovedAt = null;
        row.Dirty = false;
        _updateUser ??= Prepare("""
            UPDATE directory_users SET user_principal_name = $upn, mail = $mail, managed_apple_id = $managed, display_name = $display,
                external_id = $external, removed_at = NULL, updated_at = $now WHERE user_key = $key
            """, "$upn", "$mail", "$managed", "$display", "$external", "$now", "$key");
        Exec(_updateUser, row.Upn, row.Mail, row.ManagedAppleId, row.DisplayName, row.ExternalId, _now, row.Key);
        if (restored) Log($"user:{row.Upn}", "Restore", "added to the directory again" + (changed.Count > 0 ? "; updated " + string.Join(", ", changed) : ""));
        else if (changed.Count > 0) Log($"user:{row.Upn}", "Update", "updated " + string.Join(", ", changed));
        return (row, restored ? Outcome.Added : Outcome.Updated);
    }

    /// <summary>Adds or updates the device <paramref name="input"/> names; a UPN on it is its owner unless Owner is given.</summary>
    public (DeviceRow Row, Outcome Outcome) UpsertDevice(MemberInput input)
    {
        var serial = DirectoryValues.NormalizeSerial(input.SerialNumber!);
        var name = MemberInput.Clean(input.DeviceName);
        var owner = MemberInput.Clean(input.Owner) ?? MemberInput.Clean(input.UserPrincipalName);
        var platform = MemberInput.Clean(input.Platform);
        if (!Devices.TryGetValue(serial, out var row))
        {
            _insertDevice ??= Prepare("""
                INSERT INTO directory_devices (device_key, serial_number, device_name, owner_upn, platform, created_at, updated_at)
                VALUES ($key, $serial, $name, $owner, $platform, $now, $now) RETURNING device_key
                """, "$key", "$serial", "$name", "$owner", "$platform", "$now");
            var key = Insert(_insertDevice, "directory_devices", "device_key", serial, name, owner, platform, _now);
            row = new DeviceRow { Key = key, Serial = serial, Name = name, Owner = owner, Platform = platform };
            Devices[serial] = row;
            Log($"device:{serial}", "Add", "added to the directory" + Describe(("name", name), ("owner", owner), ("platform", platform)));
            return (row, Outcome.Added);
        }
        var changed = new List<string>();
        if (Differs(row.Name, name)) { row.Name = name; changed.Add("name"); }
        if (Differs(row.Owner, owner)) { row.Owner = owner; changed.Add("owner"); }
        if (Differs(row.Platform, platform)) { row.Platform = platform; changed.Add("platform"); }
        var restored = row.RemovedAt is not null;
        if (changed.Count == 0 && !restored) return (row, Outcome.Unchanged);
        row.RemovedAt = null;
        _updateDevice ??= Prepare(
            "UPDATE directory_devices SET device_name = $name, owner_upn = $owner, platform = $platform, removed_at = NULL, updated_at = $now WHERE device_key = $key",
            "$name", "$owner", "$platform", "$now", "$key");
        Exec(_updateDevice, row.Name, row.Owner, row.Platform, _now, row.Key);
        if (restored) Log($"device:{serial}", "Restore", "added to the directory again" + (changed.Count > 0 ? "; updated " + string.Join(", ", changed) : ""));
        else Log($"device:{serial}", "Update", "updated " + string.Join(", ", changed));
        return (row, restored ? Outcome.Added : Outcome.Updated);
    }

    public bool AddMember(GroupRow group, long memberKey, string memberName)
    {
        if (!group.Members(this).Add(memberKey)) return false;
        _insertMember ??= Prepare("INSERT INTO group_members (group_key, member_key) VALUES ($group, $member)", "$group", "$member");
        Exec(_insertMember, group.Key, memberKey);
        Log($"group:{group.Name}", "AddMember", $"added {group.Kind.ToString().ToLowerInvariant()} {memberName}");
        return true;
    }

    public bool RemoveMember(GroupRow group, long memberKey, string memberName, string why = "")
    {
        if (!group.Members(this).Remove(memberKey)) return false;
        _deleteMember ??= Prepare("DELETE FROM group_members WHERE group_key = $group AND member_key = $member", "$group", "$member");
        Exec(_deleteMember, group.Key, memberKey);
        Log($"group:{group.Name}", "RemoveMember", $"removed {group.Kind.ToString().ToLowerInvariant()} {memberName}{why}");
        return true;
    }

    /// <summary>Marks the user removed (a tombstone) and takes them out of every group; returns the memberships removed.</summary>
    public int RemoveUser(UserRow user, string why)
    {
        var removed = LeaveAll(DirectoryKind.User, user.Key, user.Upn, " (removed from the directory)");
        user.RemovedAt = _now;
        _writes.Flush();
        _c.Execute(_t, "UPDATE directory_users SET removed_at = $now, updated_at = $now WHERE user_key = $key", ("$now", _now), ("$key", user.Key));
        Log($"user:{user.Upn}", "Remove", "removed from the directory" + why);
        return removed;
    }

    public int RemoveDevice(DeviceRow device, string why)
    {
        var removed = LeaveAll(DirectoryKind.Device, device.Key, device.Serial, " (removed from the directory)");
        device.RemovedAt = _now;
        _writes.Flush();
        _c.Execute(_t, "UPDATE directory_devices SET removed_at = $now, updated_at = $now WHERE device_key = $key", ("$now", _now), ("$key", device.Key));
        Log($"device:{device.Serial}", "Remove", "removed from the directory" + why);
        return removed;
    }

    private int LeaveAll(DirectoryKind kind, long memberKey, string name, string why)
    {
        var count = 0;
        foreach (var group in Groups.Values.Where(g => g.Kind == kind).ToList())
            if (RemoveMember(group, memberKey, name, why)) count++;
        return count;
    }

    public void Log(string target, string action, string summary)
    {
        _journal.Write(target, action, summary);
        Changes.Add($"{target}: {summary}");
    }

    internal HashSet<long> LoadMembers(long groupKey)
    {
        _writes.Flush();
        using var command = _c.Command(_t, "SELECT member_key FROM group_members WHERE group_key = $g", ("$g", groupKey));
        using var reader = command.ExecuteReader();
        var set = new HashSet<long>();
        while (reader.Read()) set.Add(reader.GetInt64(0));
        return set;
    }

    private Dictionary<string, UserRow> ByExternalId()
    {
        if (_usersByExternalId is null)
        {
            _usersByExternalId = new(StringComparer.OrdinalIgnoreCase);
            foreach (var user in Users.Values.Where(u => u.ExternalId is not null)) _usersByExternalId.TryAdd(user.ExternalId!, user);
        }
        return _usersByExternalId;
    }

    private Dictionary<string, UserRow> LoadUsers()
    {
        _writes.Flush();
        using var command = _c.Command(_t, "SELECT user_key, id, user_principal_name, mail, managed_apple_id, display_name, external_id, removed_at FROM directory_users");
        using var reader = command.ExecuteReader();
        var users = new Dictionary<string, UserRow>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
            users[reader.GetString(2)] = new UserRow
            {
                Key = reader.GetInt64(0), Id = reader.GetString(1), Upn = reader.GetString(2), Mail = reader.GetStringOrNull(3),
                ManagedAppleId = reader.GetStringOrNull(4), DisplayName = reader.GetStringOrNull(5), ExternalId = reader.GetStringOrNull(6),
                RemovedAt = reader.GetStringOrNull(7),
            };
        return users;
    }

    private Dictionary<string, DeviceRow> LoadDevices()
    {
        _writes.Flush();
        using var command = _c.Command(_t, "SELECT device_key, serial_number, device_name, owner_upn, platform, removed_at FROM directory_devices");
        using var reader = command.ExecuteReader();
        var devices = new Dictionary<string, DeviceRow>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
            devices[reader.GetString(1)] = new DeviceRow
            {
                Key = reader.GetInt64(0), Serial = reader.GetString(1), Name = reader.GetStringOrNull(2), Owner = reader.GetStringOrNull(3),
                Platform = reader.GetStringOrNull(4), RemovedAt = reader.GetStringOrNull(5),
            };
        return devices;
    }

    private Dictionary<string, GroupRow> LoadGroups()
    {
        _writes.Flush();
        using var command = _c.Command(_t, "SELECT group_key, id, name, kind, description, created_at FROM directory_groups");
        using var reader = command.ExecuteReader();
        var groups = new Dictionary<string, GroupRow>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
            groups[reader.GetString(2)] = new GroupRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                Enum.Parse<DirectoryKind>(reader.GetString(3)), reader.GetStringOrNull(4), reader.GetString(5));
        return groups;
    }

    private DbCommand Prepare(string sql, params string[] names)
    {
        var (command, _) = _c.Prepared(_t, sql, names);
        _commands.Add(command);
        return command;
    }

    private void Exec(DbCommand command, params object?[] values)
    {
        Bind(command, values);
        _writes.Execute(command);
    }

    /// <summary>
    /// Inserts a row whose first parameter is its key: SQLite chooses it (NULL) and returns it; on
    /// PostgreSQL it is drawn from the column's identity sequence here and the insert is queued.
    /// </summary>
    private long Insert(DbCommand command, string table, string keyColumn, params object?[] values)
    {
        Bind(command, [null, .. values]);
        if (!_c.IsPostgres()) return (long)command.ExecuteScalar()!;
        var key = NextKey(table, keyColumn);
        command.Parameters[0].Value = key;
        _writes.Execute(command);
        return key;
    }

    /// <summary>A new key of <paramref name="table"/>, from blocks drawn from its identity sequence (16, then doubling up to a batch).</summary>
    private long NextKey(string table, string keyColumn)
    {
        if (!_keys.TryGetValue(table, out var keys)) _keys[table] = keys = new Queue<long>();
        if (keys.Count == 0)
        {
            var block = Math.Min(WriteBehind.BatchSize, 16 << Math.Min(6, _keysDrawn++));
            using var command = _c.Command(_t, $"SELECT nextval(pg_get_serial_sequence('{table}', '{keyColumn}')) FROM generate_series(1, {block})");
            using var reader = command.ExecuteReader();
            while (reader.Read()) keys.Enqueue(reader.GetInt64(0));
        }
        return keys.Dequeue();
    }

    private int _keysDrawn;

    private static void Bind(DbCommand command, object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    }

    /// <summary>A new non-empty value that differs from the stored one (empty never clears).</summary>
    private static bool Differs(string? stored, string? incoming) => incoming is not null && !string.Equals(stored, incoming, StringComparison.Ordinal);

    private static string Describe(params (string Name, string? Value)[] values)
    {
        var given = values.Where(v => v.Value is not null).Select(v => $"{v.Name} {v.Value}").ToList();
        return given.Count == 0 ? "" : " (" + string.Join(", ", given) + ")";
    }

    /// <summary>Sends the queued writes (PostgreSQL), before the caller reads what they change.</summary>
    public void Flush() => _writes.Flush();

    /// <summary>Sends the queued writes, then frees the statements; the unit of work commits after this.</summary>
    public void Dispose()
    {
        try
        {
            _writes.Flush();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InFailedSqlTransaction)
        {
            // The work failed earlier in this transaction and is being rolled back; that failure is the one to tell.
            _writes.Discard();
        }
        finally
        {
            foreach (var command in _commands) command.Dispose();
            _journal.Dispose();
        }
    }

    public enum Outcome { Unchanged, Added, Updated }

    internal sealed class UserRow
    {
        public long Key { get; init; }
        public required string Id { get; init; }
        public required string Upn { get; set; }
        public string? Mail { get; set; }
        public string? ManagedAppleId { get; set; }
        public string? DisplayName { get; set; }
        public string? ExternalId { get; set; }
        public string? RemovedAt { get; set; }
        public bool Dirty { get; set; }
    }

    internal sealed class DeviceRow
    {
        public long Key { get; init; }
        public required string Serial { get; init; }
        public string? Name { get; set; }
        public string? Owner { get; set; }
        public string? Platform { get; set; }
        public string? RemovedAt { get; set; }
    }

    internal sealed class GroupRow(long key, string id, string name, DirectoryKind kind, string? description, string createdAt)
    {
        private HashSet<long>? _members;
        public long Key { get; } = key;
        public string Id { get; } = id;
        public string Name { get; } = name;
        public DirectoryKind Kind { get; } = kind;
        public string? Description { get; } = description;
        public string CreatedAt { get; } = createdAt;
        public HashSet<long> Members(DirectoryWriter writer) => _members ??= writer.LoadMembers(Key);
    }
}
