using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace VppPS.Infrastructure;

/// <summary>
/// Loads VppPS.Engine, and through it every dependency (Microsoft.Data.Sqlite, Polly,
/// IdentityModel, native e_sqlite3), from the module's Dependencies folder into VppPS's own
/// AssemblyLoadContext. Other modules' older copies of the same libraries in the default
/// context then cannot break VppPS, and VppPS cannot break them.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string DependencyFolder =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies");

    private static readonly DependencyLoadContext Context = new(DependencyFolder);

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo module) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    // Only the engine is handed to the default context; the engine's own references are then
    // resolved by DependencyLoadContext, because that is the context the engine lives in.
    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
        name.Name == "VppPS.Engine" ? Context.LoadFromAssemblyName(name) : null;
}
