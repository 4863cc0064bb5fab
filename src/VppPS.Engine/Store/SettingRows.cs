using System.Data.Common;

namespace VppPS.Engine.Store;

/// <summary>
/// The settings table's only writer: the saved settings (Configuration/SettingsStore), the metadata
/// API's developer key (Sync/MetadataCredentialStore) and the store key's check value (VppSession,
/// Store/StateCopier) are all written here, in the caller's transaction.
/// </summary>
internal static class SettingRows
{
    /// <summary>Saves a value, replacing the one held.</summary>
    public static void Save(DbConnection c, DbTransaction t, string name, string value) =>
        c.Execute(t, "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            ("$name", name), ("$value", value));

    /// <summary>Saves a value unless one is held already.</summary>
    public static void AddIfAbsent(DbConnection c, DbTransaction t, string name, string value) =>
        c.Execute(t, "INSERT INTO settings (name, value) VALUES ($n, $v) ON CONFLICT DO NOTHING", ("$n", name), ("$v", value));

    /// <summary>Adds a value where none is held (a copy into a destination whose settings were cleared).</summary>
    public static void Insert(DbConnection c, DbTransaction t, string name, string value) =>
        c.Execute(t, "INSERT INTO settings (name, value) VALUES ($n, $v)", ("$n", name), ("$v", value));

    public static void Delete(DbConnection c, DbTransaction t, string name) =>
        c.Execute(t, "DELETE FROM settings WHERE name = $name", ("$name", name));

    public static void Delete(DbConnection c, DbTransaction t, string a, string b, string third) =>
        c.Execute(t, "DELETE FROM settings WHERE name IN ($a, $b, $c)", ("$a", a), ("$b", b), ("$c", third));
}
