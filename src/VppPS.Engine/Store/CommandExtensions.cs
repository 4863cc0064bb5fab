using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Npgsql;

namespace VppPS.Engine.Store;

/// <summary>
/// Small helpers that keep the table classes short, for either backend. SQL is written once, with
/// $name parameters as SQLite reads them; on PostgreSQL each statement text is rewritten once
/// (and cached) to Npgsql's @name, outside quoted text and identifiers.
/// </summary>
internal static class CommandExtensions
{
    private static readonly ConcurrentDictionary<string, string> PostgresText = new(StringComparer.Ordinal);

    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var postgres = connection is NpgsqlConnection;
        command.CommandText = postgres ? PostgresText.GetOrAdd(sql, ToPostgres) : sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = postgres && name.StartsWith('$') ? name[1..] : name;
            parameter.Value = value ?? DBNull.Value;
            // Text goes to PostgreSQL untyped, so it takes the type of what it is compared with or
            // stored in, as in SQLite: a citext column (SQLite's COLLATE NOCASE) then compares
            // without case, where a text parameter would make the comparison case-sensitive.
            if (postgres && value is string) ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Unknown;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>
    /// A statement to run many times with new values: its parameters, in the order named, to set
    /// before each run. Prepared on SQLite; on PostgreSQL Npgsql prepares statements it sees often.
    /// </summary>
    public static (DbCommand Command, DbParameter[] Parameters) Prepared(this DbConnection connection, DbTransaction? transaction, string sql, params string[] names)
    {
        var command = connection.Command(transaction, sql, names.Select(n => (n, (object?)null)).ToArray());
        var parameters = command.Parameters.Cast<DbParameter>().ToArray();
        if (!connection.IsPostgres()) command.Prepare();
        return (command, parameters);
    }

    public static int Execute(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>A count or key as a long, whatever integer type the backend returns (SQLite: long, PostgreSQL: bigint or numeric).</summary>
    public static long Long(this DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters) =>
        Convert.ToInt64(connection.Scalar(transaction, sql, parameters) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);

    public static bool IsPostgres(this DbConnection connection) => connection is NpgsqlConnection;

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Dates are stored as ISO-8601 UTC text ("O" format), which sorts correctly.</summary>
    public static string ToStored(this DateTimeOffset value) => value.ToUniversalTime().ToString("O");

    public static DateTimeOffset ToDate(this string stored) =>
        DateTimeOffset.Parse(stored, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);

    /// <summary>$name to @name, leaving '...' strings, "..." identifiers and -- comments alone.</summary>
    internal static string ToPostgres(string sql)
    {
        var output = new StringBuilder(sql.Length);
        for (var i = 0; i < sql.Length; i++)
        {
            var ch = sql[i];
            if (ch is '\'' or '"')
            {
                var end = sql.IndexOf(ch, i + 1);
                end = end < 0 ? sql.Length - 1 : end;
                output.Append(sql, i, end - i + 1);
                i = end;
            }
            else if (ch == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                end = end < 0 ? sql.Length - 1 : end;
                output.Append(sql, i, end - i + 1);
                i = end;
            }
            else if (ch == '$' && i + 1 < sql.Length && (char.IsLetter(sql[i + 1]) || sql[i + 1] == '_'))
                output.Append('@');
            else
                output.Append(ch);
        }
        return output.ToString();
    }
}
