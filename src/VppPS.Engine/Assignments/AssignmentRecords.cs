using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Assignments;

/// <summary>
/// The assignments and license_requests tables' only writer, and the assignment capability's reads
/// of the synced assets, tokens and directory it resolves names against. Every method works in the
/// caller's unit of work (its connection and, for a write, its transaction).
/// </summary>
internal static class AssignmentRecords
{
    /// <summary>The ids of the assignments to the group.</summary>
    public static List<string> IdsOfGroup(DbConnection c, DbTransaction? t, long groupKey)
    {
        var ids = new List<string>();
        using (var command = c.Command(t, "SELECT id FROM assignments WHERE group_key = $g", ("$g", groupKey)))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }
}
