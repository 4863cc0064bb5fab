using System.Runtime.InteropServices;
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
/// Steps and column reads call the native library directly with the statement's pointer (held
/// for the statement's life): through SQLitePCL each is an interface call and a safe-handle
/// reference taken and released, which was most of the cost of reading a long list's values.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private readonly IntPtr _handle;
    private bool _referenced;

    public RawStatement(System.Data.Common.DbConnection connection, string sql)
    {
        _connection = connection as SqliteConnection
            ?? throw new InvalidOperationException("RawStatement drives SQLite's own API; the PostgreSQL store reads through its data reader instead.");
        Check(raw.sqlite3_prepare_v2(_connection.Handle, sql, out _statement));
        _statement.DangerousAddRef(ref _referenced);
        _handle = _statement.DangerousGetHandle();
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
        var result = Native.sqlite3_step(_handle);
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
            Check(result);
        return raw.sqlite3_changes(_connection.Handle);
    }

    /// <summary>Steps to the next row: false (and ready to run again) after the last one.</summary>
    public bool Read()
    {
        var result = Native.sqlite3_step(_handle);
        if (result == raw.SQLITE_ROW)
            return true;
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
            Check(result);
        return false;
    }

    /// <summary>Ends a read before its last row, ready to run again.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public long Int64(int column) => Native.sqlite3_column_int64(_handle, column);

    public bool IsNull(int column) => Native.sqlite3_column_type(_handle, column) == raw.SQLITE_NULL;

    /// <summary>A text column's UTF-8 bytes, valid until the next step: compared without making a string. Empty for NULL.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => TryUtf8(column, out var utf8) ? utf8 : default;

    /// <summary>A text column as a new string; null for NULL.</summary>
    public string? Text(int column) => TryUtf8(column, out var utf8) ? System.Text.Encoding.UTF8.GetString(utf8) : null;

    /// <summary>A text column's UTF-8 bytes (valid until the next step), or false for NULL: two calls into SQLite, the text first, then its length.</summary>
    private unsafe bool TryUtf8(int column, out ReadOnlySpan<byte> utf8)
    {
        var text = Native.sqlite3_column_text(_handle, column);
        utf8 = text == IntPtr.Zero ? default : new ReadOnlySpan<byte>((void*)text, Native.sqlite3_column_bytes(_handle, column));
        return text != IntPtr.Zero;
    }

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
            throw DatabaseErrors.From(new SqliteException($"SQLite Error {result}: '{raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}'.", result), _connection.DataSource);
    }

    public void Dispose()
    {
        if (_referenced) _statement.DangerousRelease();
        _referenced = false;
        _statement.Dispose();
    }

    /// <summary>The functions of the SQLite library that SQLitePCL's e_sqlite3 provider loads (the same name, so the same library).</summary>
    private static class Native
    {
        private const string Library = "e_sqlite3";

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_step(IntPtr statement);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern long sqlite3_column_int64(IntPtr statement, int column);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_column_type(IntPtr statement, int column);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr sqlite3_column_text(IntPtr statement, int column);

        [DllImport(Library, ExactSpelling = true, CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_column_bytes(IntPtr statement, int column);
    }
}
