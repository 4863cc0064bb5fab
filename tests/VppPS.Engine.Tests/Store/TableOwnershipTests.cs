using System.Text.RegularExpressions;

namespace VppPS.Engine.Tests.Store;

/// <summary>
/// What ARCHITECTURE.md's "Who owns each table" promises, checked on the engine's sources: every
/// table of the schema is written (INSERT INTO, INSERT ... ON CONFLICT, UPDATE ... SET, DELETE FROM)
/// from one file only, and the services (*Service.cs) and the class that talks to Apple
/// (AssignmentApplier.cs) hold no SQL at all: they go through their capability's repositories.
/// Triggers in the migrations do not count.
/// </summary>
public sealed class TableOwnershipTests
{
    private static readonly Regex Write = new(
        @"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO\s+""?(?<t>\w+)|UPDATE\s+""?(?<t>\w+)""?\s+SET\b|DELETE\s+FROM\s+""?(?<t>\w+))",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>SQL text as the engine writes it (upper-case keywords): a query or a write.</summary>
    private static readonly Regex Sql = new(
        @"\bSELECT\b[^;]{0,400}?\bFROM\b|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bCREATE\s+(?:TEMP\s+)?TABLE\b",
        RegexOptions.CultureInvariant);

    private static string EngineFolder()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !Directory.Exists(Path.Combine(root, "src", "VppPS.Engine"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        return Path.Combine(root!, "src", "VppPS.Engine");
    }

    /// <summary>The engine's source files, but the migrations (schema and triggers), by path under the engine folder.</summary>
    private static Dictionary<string, string> Sources()
    {
        var engine = EngineFolder();
        return Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(engine, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Where(f => !Path.GetFileName(f).EndsWith("Migrations.cs", StringComparison.Ordinal))
            .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(engine, f)), StringComparer.Ordinal);
    }

    /// <summary>The tables of the schema (both backends create the same ones).</summary>
    private static HashSet<string> Tables()
    {
        var migrations = File.ReadAllText(Path.Combine(EngineFolder(), "Store", "Migrations.cs"));
        var tables = Regex.Matches(migrations, @"CREATE TABLE (\w+)").Select(m => m.Groups[1].Value.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("tokens", tables);
        Assert.Contains("managed_licenses", tables);
        return tables;
    }

    [Fact]
    public void Every_table_is_written_from_one_file()
    {
        var tables = Tables();
        var writers = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (file, text) in Sources())
            foreach (Match m in Write.Matches(text))
            {
                var table = m.Groups["t"].Value.ToLowerInvariant();
                if (!tables.Contains(table)) continue; // temporary tables (stage_*, event_changes...) belong to the code that creates them
                if (!writers.TryGetValue(table, out var files)) writers[table] = files = new SortedSet<string>(StringComparer.Ordinal);
                files.Add(file);
            }
        var shared = writers.Where(w => w.Value.Count > 1).Select(w => $"{w.Key}: {string.Join(", ", w.Value)}").OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.True(shared.Count == 0, "Tables written from more than one file:\n" + string.Join("\n", shared));
        // The scan sees the writes at all (a regex that matches nothing would pass the check above).
        Assert.Equal("Tokens/TokenStore.cs", Assert.Single(writers["tokens"]));
        Assert.Equal("Assignments/ManagedLicenses.cs", Assert.Single(writers["managed_licenses"]));
    }

    [Fact]
    public void Services_and_the_applier_hold_no_SQL()
    {
        var offenders = new List<string>();
        foreach (var (file, text) in Sources())
        {
            var name = Path.GetFileName(file);
            if (!name.EndsWith("Service.cs", StringComparison.Ordinal) && name != "AssignmentApplier.cs") continue;
            foreach (Match m in Sql.Matches(text))
                offenders.Add($"{file}:{text[..m.Index].Count(ch => ch == '\n') + 1}: {m.Value.Split('\n')[0].Trim()}");
        }
        Assert.True(offenders.Count == 0, "SQL outside the repositories:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_scans_see_SQL_where_it_is()
    {
        Assert.Matches(Sql, "c.Execute(t, \"UPDATE tokens SET expiration = $e WHERE key = $k\")");
        Assert.Matches(Sql, "\"\"\"\n    SELECT id, name\n    FROM tokens\n\"\"\"");
        Assert.DoesNotMatch(Sql, "// Select the token from the list; update the cache and delete from memory");
        var m = Write.Match("INSERT INTO license_requests (token_key) VALUES ($k) ON CONFLICT (token_key) DO UPDATE SET forced = 1");
        Assert.Equal("license_requests", m.Groups["t"].Value);
        Assert.Equal("managed_users", Write.Match("UPDATE managed_users SET retired_at = $at").Groups["t"].Value);
        Assert.Equal("vpp_users", Write.Match("INSERT OR REPLACE INTO vpp_users (token_key)").Groups["t"].Value);
    }
}
