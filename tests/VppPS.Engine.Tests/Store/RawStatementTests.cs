using System.Text;
using Microsoft.Data.Sqlite;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Store;

/// <summary>RawStatement reads columns by calling SQLite's library directly: values read as through SqliteDataReader.</summary>
public sealed class RawStatementTests
{
    [Fact]
    public void Columns_read_as_the_data_reader_reads_them_row_after_row_and_run_after_run()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE t (n INTEGER, s TEXT);
                INSERT INTO t VALUES (1, ''), (2, NULL), (3, 'Ünïcødé ✓ 𝄞'), (-9007199254740993, 'x'), (5, '12345678901234567890123456789012345678901234567890');
                """;
            create.ExecuteNonQuery();
        }
        using var statement = new RawStatement(connection, "SELECT n, s FROM t WHERE n <> $skip ORDER BY rowid");
        for (var run = 0; run < 2; run++)
        {
            statement.Bind("$skip", 5 + run);
            var rows = new List<(long, string?, bool, string)>();
            while (statement.Read())
                rows.Add((statement.Int64(0), statement.Text(1), statement.IsNull(1), Encoding.UTF8.GetString(statement.Utf8(1))));
            Assert.Equal(
                new List<(long, string?, bool, string)> { (1, "", false, ""), (2, null, true, ""), (3, "Ünïcødé ✓ 𝄞", false, "Ünïcødé ✓ 𝄞"), (-9007199254740993, "x", false, "x") }
                    .Concat(run == 1 ? [(5, "12345678901234567890123456789012345678901234567890", false, "12345678901234567890123456789012345678901234567890")] : []),
                rows);
        }
    }
}
