using System.Reflection;

namespace VppPS.Engine.Tests.Store;

/// <summary>What ARCHITECTURE.md promises about the engine's surface, checked on the built assembly.</summary>
public sealed class EngineSurfaceTests
{
    private static readonly Assembly Engine = typeof(VppSession).Assembly;

    [Fact]
    public void The_engine_references_no_PowerShell()
    {
        Assert.DoesNotContain(Engine.GetReferencedAssemblies(), a => a.Name!.StartsWith("System.Management.Automation", StringComparison.Ordinal));
    }

    [Fact]
    public void No_public_engine_signature_names_a_database_provider_type()
    {
        static bool IsProvider(Type type)
        {
            while (type.HasElementType) type = type.GetElementType()!;
            if (type.IsGenericType && type.GetGenericArguments().Any(IsProvider)) return true;
            var ns = type.Namespace ?? "";
            return ns.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal) || ns.StartsWith("Npgsql", StringComparison.Ordinal)
                   || ns.StartsWith("SQLitePCL", StringComparison.Ordinal);
        }
        var offenders = new List<string>();
        const BindingFlags Visible = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in Engine.GetExportedTypes())
        {
            foreach (var method in type.GetMethods(Visible).Where(m => !m.IsSpecialName || m.Name.StartsWith("get_") || m.Name.StartsWith("set_")))
                if (IsProvider(method.ReturnType) || method.GetParameters().Any(p => IsProvider(p.ParameterType)))
                    offenders.Add($"{type.FullName}.{method.Name}");
            foreach (var constructor in type.GetConstructors(Visible))
                if (constructor.GetParameters().Any(p => IsProvider(p.ParameterType)))
                    offenders.Add($"{type.FullName}..ctor");
            foreach (var field in type.GetFields(Visible))
                if (IsProvider(field.FieldType)) offenders.Add($"{type.FullName}.{field.Name}");
        }
        Assert.Empty(offenders);
    }

    /// <summary>
    /// The engine's capabilities (its top folders and namespaces) depend on each other in one
    /// direction only: Sync on Assignments on Tokens, never back. Read from the sources (using
    /// directives and fully qualified names), as the layering is a property of the code.
    /// </summary>
    [Fact]
    public void The_engine_capabilities_depend_on_each_other_without_cycles()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !Directory.Exists(Path.Combine(root, "src", "VppPS.Engine"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        var engine = Path.Combine(root!, "src", "VppPS.Engine");
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(engine).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")))
        {
            var uses = graph[folder!] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(engine, folder!), "*.cs", SearchOption.AllDirectories))
                foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), @"\bVppPS\.Engine\.([A-Z]\w*)"))
                    if (m.Groups[1].Value != folder) uses.Add(m.Groups[1].Value);
        }
        var cycles = new List<string>();
        foreach (var start in graph.Keys)
        {
            // Depth-first from each capability: reaching it again is a cycle.
            var stack = new Stack<(string Node, string Path)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            stack.Push((start, start));
            while (stack.Count > 0)
            {
                var (node, path) = stack.Pop();
                foreach (var next in graph.GetValueOrDefault(node) ?? [])
                {
                    if (next == start) { cycles.Add(path + " -> " + start); continue; }
                    if (graph.ContainsKey(next) && seen.Add(next)) stack.Push((next, path + " -> " + next));
                }
            }
        }
        Assert.Empty(cycles);
    }
}
