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
}
