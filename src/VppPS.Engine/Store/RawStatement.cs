using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace VppPS.Engine.Store;

/// <summary>
/// One prepared statement driven through SQLite's own API, for the few loops that touch
/// millions of rows (a sync's staging, a full plan's comparison of wanted and held licenses):
/// SqliteCommand boxes and re-encodes every parameter and every value, which costs a third of
/// such a loop. It runs inside whatever transaction the connection has open. Parameters and
/// columns are numbered as SQLite numbers them (parameters from 1, columns from 0). A failure
/// leaves as the same <see cref="VppException"/> as through SqliteCommand (see <see cref="DatabaseErrors"/>).
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;

    public RawStatement(System.Data.Common.DbConnection connection, string sql)
    {
        _connection = connection as SqliteConnection
            ?? throw new InvalidOperationException("RawStatement drives SQLite's own API; the PostgreSQL store reads through its data reader instead.");
        Check(raw.sqlite3_prepare_v2(_connection.Handle, sql, out _statement));
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds a named parameter ($name) that the statement must have.</summary>
    public void Bind(string name, long? value)
    {
        var index = IndexOf(name);
        Check(value is { } number ? raw.sqlite3_bind_int64(_statement, index, number) : raw.sqlite3_bind_null(_statement, index));
    }

    /// <summary>Binds a named text parameter ($name) that the statement must have.</summary>
    public void Bind(string name, string? value) => Bind(IndexOf(name), value);

    private int IndexOf(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        return index != 0 ? index : throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
    }

    public void Bind(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    /// <summary>Runs a statement that returns no rows (an insert), ready to run again; returns the number of rows it changed.</summary>
    public int Execute()
    {
        var result = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
            Check(result);
        return raw.sqlite3_changes(_connection.Handle);
    }

    /// <summary>Steps to the next row: false (and ready to run again) after the last one.</summary>
    public bool Read()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW)
            return true;
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
            Check(result);
        return false;
    }

    /// <summary>Ends a read before its last row, ready to run again.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    /// <summary>A text column's UTF-8 bytes, valid until the next step: compared without making a string.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(_statement, column);

    /// <summary>A text column as a new string; null for NULL.</summary>
    public string? Text(int column) => IsNull(column) ? null : System.Text.Encoding.UTF8.GetString(Utf8(column));

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
            throw DatabaseErrors.From(new SqliteException($"SQLite Error {result}: '{raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}'.", result), _connection.DataSource);
    }

    public void Dispose() => _statement.Dispose();
}
