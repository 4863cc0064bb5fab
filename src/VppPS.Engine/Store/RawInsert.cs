using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace VppPS.Engine.Store;

/// <summary>
/// One prepared statement driven through SQLite's own API, for the few loops that write a
/// million rows (a sync's staging): SqliteCommand boxes and re-encodes every parameter on every
/// execution, which costs a third of such a loop. It runs inside whatever transaction the
/// connection has open. Bind the parameters (1-based, as SQLite counts them), then
/// <see cref="Execute"/>.
/// </summary>
internal sealed class RawInsert : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;

    public RawInsert(SqliteConnection connection, string sql)
    {
        _connection = connection;
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out _statement));
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Bind(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    public void Execute()
    {
        var result = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
            Check(result);
    }

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
            throw new SqliteException($"SQLite Error {result}: '{raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}'.", result);
    }

    public void Dispose() => _statement.Dispose();
}
