using Npgsql;

namespace VppPS.Engine.Store;

/// <summary>Which kind of database holds VppPS's state.</summary>
public enum StoreKind
{
    /// <summary>A SQLite file in a data folder: one admin, the embedded default.</summary>
    Sqlite,
    /// <summary>A PostgreSQL database shared by a team, its scheduled tasks and runbooks.</summary>
    PostgreSql,
}

/// <summary>
/// Where the state is: a data folder (SQLite) or a PostgreSQL server. Built from what a user
/// gives (a folder, a postgresql:// URI or an Npgsql connection string); its text form and every
/// property leave the password out, so it can be shown, logged and written to the audit journal.
/// </summary>
public sealed class StoreLocation
{
    private readonly string? _connectionString;

    private StoreLocation(StoreKind kind, string? folder, NpgsqlConnectionStringBuilder? builder)
    {
        Kind = kind;
        Folder = folder;
        if (builder is not null)
        {
            Host = builder.Host;
            Port = builder.Port;
            Database = builder.Database;
            Username = builder.Username;
            HasPassword = !string.IsNullOrEmpty(builder.Password);
            _connectionString = builder.ConnectionString;
        }
    }

    public StoreKind Kind { get; }
    /// <summary>The data folder of a SQLite store.</summary>
    public string? Folder { get; }
    public string? Host { get; }
    public int? Port { get; }
    public string? Database { get; }
    public string? Username { get; }
    public bool HasPassword { get; }

    /// <summary>The full Npgsql connection string, password included: only for opening connections.</summary>
    internal string ConnectionString => _connectionString ?? throw new InvalidOperationException("not a PostgreSQL store");

    public static StoreLocation ForFolder(string folder) => new(StoreKind.Sqlite, Path.GetFullPath(folder), null);

    /// <summary>
    /// Reads a PostgreSQL URI (postgresql://user:password@host:port/database?sslmode=require) or an
    /// Npgsql connection string (Host=...;Username=...;Database=...). Anything else is refused with
    /// an error that never repeats the text given (it may hold a password).
    /// </summary>
    public static StoreLocation ForPostgres(string connection)
    {
        if (string.IsNullOrWhiteSpace(connection)) throw Bad("it is empty");
        NpgsqlConnectionStringBuilder builder;
        var text = connection.Trim();
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            builder = FromUri(text);
        else
        {
            var pairs = new System.Data.Common.DbConnectionStringBuilder();
            try
            {
                pairs.ConnectionString = text;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw Bad("it is neither a postgresql:// URI nor a connection string of the form Host=...;Username=...;Database=...");
            }
            builder = new NpgsqlConnectionStringBuilder();
            // The parser gives the names in lower case: an error names an option as the text spells it.
            foreach (string name in pairs.Keys)
            {
                var at = text.IndexOf(name, StringComparison.OrdinalIgnoreCase);
                Set(builder, at < 0 ? name : text.Substring(at, name.Length), name, pairs[name] as string ?? "");
            }
        }
        if (string.IsNullOrEmpty(builder.Host)) throw Bad("it names no host");
        if (string.IsNullOrEmpty(builder.Database)) throw Bad("it names no database");
        // The state lives in its own schema; connections are pooled per connection string.
        builder.SearchPath = Postgres.PostgresMigrations.Schema;
        builder.ApplicationName ??= "VppPS";
        return new StoreLocation(StoreKind.PostgreSql, null, builder);
    }

    /// <summary>A folder, or else a PostgreSQL location: what Set-VppConfiguration -Store and VPPPS_STORE take.</summary>
    public static bool LooksLikePostgres(string value) =>
        value.TrimStart().StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && value.Contains("://", StringComparison.Ordinal)
        || value.Contains('=', StringComparison.Ordinal) && value.Contains("host", StringComparison.OrdinalIgnoreCase);

    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        Uri uri;
        try
        {
            uri = new Uri(text);
        }
        catch (UriFormatException)
        {
            throw Bad("it is not a valid postgresql:// URI");
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            Set(builder, name, name switch { "sslmode" => "SSL Mode", "connect_timeout" => "Timeout", "application_name" => "Application Name", _ => name }, value);
        }
        return builder;
    }

    /// <summary>
    /// Sets one option as given (<paramref name="given"/>: its name in the URI or connection string),
    /// or refuses it saying whether the option or its value is wrong, naming the value unless it may be a secret.
    /// </summary>
    private static void Set(NpgsqlConnectionStringBuilder builder, string given, string keyword, string value)
    {
        // libpq's SSL modes (verify-ca, verify-full) are Npgsql's without the hyphen.
        var sslMode = keyword.Replace(" ", "", StringComparison.Ordinal).Equals("SSLMode", StringComparison.OrdinalIgnoreCase);
        try
        {
            builder[keyword] = sslMode ? value.Replace("-", "", StringComparison.Ordinal) : value;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException or OverflowException)
        {
            if (!new NpgsqlConnectionStringBuilder().ContainsKey(keyword))
                throw Bad($"its option '{given}' is not one PostgreSQL connections take");
            var shown = keyword.Contains("password", StringComparison.OrdinalIgnoreCase) || keyword.Contains("key", StringComparison.OrdinalIgnoreCase) ? "its value" : $"'{value}'";
            throw Bad($"its option '{given}' does not take {shown}" +
                (sslMode ? ": give disable, allow, prefer, require, verify-ca or verify-full" : ""));
        }
    }

    private static VppException Bad(string why) => new(VppErrorKind.InvalidArgument, "VppStoreConnectionInvalid",
        $"The PostgreSQL store cannot be used: {why}. Give postgresql://user:password@host:port/database or Host=...;Port=...;Username=...;Password=...;Database=...", null);

    /// <summary>Whether both name the same state: the same data folder, or the same database on the same server, whatever the login.</summary>
    public bool IsSameStoreAs(StoreLocation other) =>
        Kind == other.Kind && (Kind == StoreKind.Sqlite
            ? string.Equals(Folder, other.Folder, StringComparison.Ordinal)
            : string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase) && Port == other.Port && string.Equals(Database, other.Database, StringComparison.Ordinal));

    /// <summary>"PostgreSql vppps@db.example:5432/vppps" or "Sqlite /home/me/.local/share/VppPS": never a password.</summary>
    public override string ToString() => Kind == StoreKind.Sqlite
        ? $"Sqlite {Folder}"
        : $"PostgreSql {Username}@{Host}:{Port}/{Database}";
}
