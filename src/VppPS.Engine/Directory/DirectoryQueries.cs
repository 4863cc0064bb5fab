using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Directories;

/// <summary>
/// The directory's reads: groups, members, users and devices, in the caller's connection (and
/// transaction, if any). Its writes are <see cref="DirectoryWriter"/>'s.
/// </summary>
internal static class DirectoryQueries
{
    /// <summary>The members of <paramref name="groupName"/> now.</summary>
    public static GroupMembers MembersOf(DbConnection c, DbTransaction? t, string groupName)
    {
        // The group's row is read and its reader closed before the members are read (PostgreSQL runs one command at a time per connection).
        long key;
        string name;
        DirectoryKind kind;
        using (var find = c.Command(t, "SELECT group_key, name, kind FROM directory_groups WHERE name = $name", ("$name", groupName.Trim())))
        using (var found = find.ExecuteReader())
        {
            if (!found.Read()) throw DirectoryService.GroupNotFound(groupName);
            (key, name, kind) = (found.GetInt64(0), found.GetString(1), Enum.Parse<DirectoryKind>(found.GetString(2)));
        }
        return MembersOf(c, t, key, name, kind);
    }

    /// <summary>The members of the group with <paramref name="groupKey"/> (directory_groups.group_key).</summary>
    public static GroupMembers MembersOf(DbConnection c, DbTransaction? t, long groupKey)
    {
        string name;
        DirectoryKind kind;
        using (var find = c.Command(t, "SELECT name, kind FROM directory_groups WHERE group_key = $key", ("$key", groupKey)))
        using (var found = find.ExecuteReader())
        {
            if (!found.Read()) throw DirectoryService.GroupNotFound($"#{groupKey}");
            (name, kind) = (found.GetString(0), Enum.Parse<DirectoryKind>(found.GetString(1)));
        }
        return MembersOf(c, t, groupKey, name, kind);
    }

    public static long MemberCount(DbConnection c, DbTransaction? t, long groupKey) =>
        (long)c.Scalar(t, "SELECT count(*) FROM group_members WHERE group_key = $g", ("$g", groupKey))!;

    /// <summary>The members of a group, streamed in name order.</summary>
    public static IEnumerable<VppGroupMember> Members(DbConnection c, VppGroup group)
    {
        var sql = group.Kind == DirectoryKind.User
            ? """
              SELECT u.user_principal_name, u.mail, u.managed_apple_id, u.display_name, u.id
              FROM group_members m JOIN directory_users u ON u.user_key = m.member_key
              JOIN directory_groups g ON g.group_key = m.group_key
              WHERE g.name = $name ORDER BY u.user_principal_name
              """
            : """
              SELECT d.serial_number, d.device_name, d.owner_upn, d.platform
              FROM group_members m JOIN directory_devices d ON d.device_key = m.member_key
              JOIN directory_groups g ON g.group_key = m.group_key
              WHERE g.name = $name ORDER BY d.serial_number
              """;
        using var command = c.Command(null, sql, ("$name", group.Name));
        using var reader = command.ExecuteReader();
        while (reader.Read())
            yield return group.Kind == DirectoryKind.User
                ? new VppGroupMember
                {
                    Group = group.Name, Kind = group.Kind, UserPrincipalName = reader.GetString(0), Mail = reader.GetStringOrNull(1),
                    ManagedAppleId = reader.GetStringOrNull(2), DisplayName = reader.GetStringOrNull(3), UserId = reader.GetString(4),
                }
                : new VppGroupMember
                {
                    Group = group.Name, Kind = group.Kind, SerialNumber = reader.GetString(0), DeviceName = reader.GetStringOrNull(1),
                    Owner = reader.GetStringOrNull(2), Platform = reader.GetStringOrNull(3),
                };
    }

    /// <summary>Directory devices in serial-number order, streamed.</summary>
    public static IEnumerable<DirectoryDevice> Devices(DbConnection c, bool includeRemoved)
    {
        using var command = c.Command(null, $"""
            SELECT d.serial_number, d.device_name, d.owner_upn, d.platform, d.created_at, d.updated_at, d.removed_at,
                (SELECT group_concat(g.name, $unitSeparator) FROM group_members m JOIN directory_groups g ON g.group_key = m.group_key AND g.kind = 'Device'
                 WHERE m.member_key = d.device_key)
            FROM directory_devices d {(includeRemoved ? "" : "WHERE d.removed_at IS NULL")} ORDER BY d.serial_number
            """, UnitSeparator);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            yield return new DirectoryDevice
            {
                SerialNumber = reader.GetString(0), DeviceName = reader.GetStringOrNull(1), Owner = reader.GetStringOrNull(2),
                Platform = reader.GetStringOrNull(3), CreatedDateTime = reader.GetString(4).ToDate(), LastModifiedDateTime = reader.GetString(5).ToDate(),
                RemovedDateTime = reader.GetStringOrNull(6)?.ToDate(), Groups = SplitGroups(reader.GetStringOrNull(7)),
            };
    }

    public static IReadOnlyList<NameSuggestion> UserPrincipalNames(DbConnection c, string prefix, int limit) => Suggest(c, $"""
        SELECT user_principal_name, coalesce(display_name, mail, '') FROM directory_users
        WHERE removed_at IS NULL AND {NameSuggestion.StartsWith("user_principal_name", "$prefix")} ORDER BY user_principal_name LIMIT $limit
        """, prefix, limit, "directory user");

    public static IReadOnlyList<NameSuggestion> SerialNumbers(DbConnection c, string prefix, int limit) => Suggest(c, $"""
        SELECT serial_number, coalesce(device_name, '') FROM directory_devices
        WHERE removed_at IS NULL AND {NameSuggestion.StartsWith("serial_number", "$prefix")} ORDER BY serial_number LIMIT $limit
        """, prefix, limit, "directory device");

    private static IReadOnlyList<NameSuggestion> Suggest(DbConnection c, string sql, string prefix, int limit, string what)
    {
        using var command = c.Command(null, sql, ("$prefix", prefix), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var names = new List<NameSuggestion>();
        while (reader.Read())
        {
            var detail = reader.GetString(1);
            names.Add(new NameSuggestion(reader.GetString(0), detail.Length > 0 ? $"{detail} ({what})" : what));
        }
        return names;
    }

    private static GroupMembers MembersOf(DbConnection c, DbTransaction? t, long key, string name, DirectoryKind kind)
    {
        var users = new List<MemberUser>();
        var serials = new List<string>();
        if (kind == DirectoryKind.User)
        {
            using var command = c.Command(t, """
                SELECT u.user_key, u.id, u.user_principal_name, u.mail, u.managed_apple_id
                FROM group_members m JOIN directory_users u ON u.user_key = m.member_key
                WHERE m.group_key = $g AND u.removed_at IS NULL
                """, ("$g", key));
            using var reader = command.ExecuteReader();
            while (reader.Read())
                users.Add(new MemberUser(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetStringOrNull(4)));
        }
        else
        {
            using var command = c.Command(t, """
                SELECT d.serial_number FROM group_members m JOIN directory_devices d ON d.device_key = m.member_key
                WHERE m.group_key = $g AND d.removed_at IS NULL
                """, ("$g", key));
            using var reader = command.ExecuteReader();
            while (reader.Read()) serials.Add(reader.GetString(0));
        }
        return new GroupMembers(key, name, kind, users, serials);
    }

    public static List<VppGroup> Groups(DbConnection c, DbTransaction? t, string where, params (string, object?)[] parameters)
    {
        using var command = c.Command(t, $"""
            SELECT g.id, g.name, g.kind, g.description, g.created_at, (SELECT count(*) FROM group_members m WHERE m.group_key = g.group_key)
            FROM directory_groups g{where} ORDER BY g.name
            """, parameters);
        using var reader = command.ExecuteReader();
        var groups = new List<VppGroup>();
        while (reader.Read())
            groups.Add(new VppGroup
            {
                Id = Guid.Parse(reader.GetString(0)), Name = reader.GetString(1), Kind = Enum.Parse<DirectoryKind>(reader.GetString(2)),
                Description = reader.GetStringOrNull(3), CreatedDateTime = reader.GetString(4).ToDate(), MemberCount = reader.GetInt64(5),
            });
        return groups;
    }

    /// <summary>Group names are joined with the ASCII unit separator, which no name holds (see SplitGroups).</summary>
    private static readonly (string, object?) UnitSeparator = ("$unitSeparator", "\u001f");

    public static IEnumerable<DirectoryUser> Users(DbConnection c, DbTransaction? t, string where, params (string, object?)[] parameters)
    {
        using var command = c.Command(t, $"""
            SELECT u.user_key, u.id, u.user_principal_name, u.mail, u.managed_apple_id, u.display_name, u.external_id, u.created_at, u.updated_at, u.removed_at,
                (SELECT group_concat(g.name, $unitSeparator) FROM group_members m JOIN directory_groups g ON g.group_key = m.group_key AND g.kind = 'User'
                 WHERE m.member_key = u.user_key)
            FROM directory_users u{where} ORDER BY u.user_principal_name
            """, [.. parameters, UnitSeparator]);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            yield return new DirectoryUser
            {
                UserKey = reader.GetInt64(0), UserId = reader.GetString(1), UserPrincipalName = reader.GetString(2), Mail = reader.GetStringOrNull(3),
                ManagedAppleId = reader.GetStringOrNull(4), DisplayName = reader.GetStringOrNull(5), ExternalId = reader.GetStringOrNull(6),
                CreatedDateTime = reader.GetString(7).ToDate(), LastModifiedDateTime = reader.GetString(8).ToDate(),
                RemovedDateTime = reader.GetStringOrNull(9)?.ToDate(), Groups = SplitGroups(reader.GetStringOrNull(10)),
            };
    }

    private static string[] SplitGroups(string? joined) =>
        joined is null ? [] : joined.Split('\u001f').OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToArray();
}
