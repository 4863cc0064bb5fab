using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace VppPS.Infrastructure;

/// <summary>
/// The AssemblyLoadContext that holds VppPS.Engine and its dependencies. Managed assemblies
/// come from the Dependencies folder when present there (else from the shared framework), on
/// .NET 10 and later from Dependencies/net10.0 instead (built for it and precompiled, when the
/// build could); native libraries from Dependencies/runtimes/&lt;rid&gt;/native, which pwsh
/// would not search because it does not read a module's deps.json.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _folder;
    private readonly string _managedFolder;

    public DependencyLoadContext(string folder) : base("VppPS", isCollectible: false)
    {
        _folder = folder;
        var net10 = Path.Combine(folder, "net10.0");
        // The net10.0 folder holds everything .NET 10 does not: the rest comes from the framework.
        _managedFolder = Environment.Version.Major >= 10 && System.IO.Directory.Exists(net10) ? net10 : folder;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_managedFolder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var native = Path.Combine(_folder, "runtimes", RuntimeIdentifier(), "native");
        foreach (var candidate in FileNames(unmanagedDllName))
        {
            var path = Path.Combine(native, candidate);
            if (File.Exists(path)) return LoadUnmanagedDllFromPath(path);
        }
        return IntPtr.Zero;
    }

    private static IEnumerable<string> FileNames(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows()) yield return name + ".dll";
        else if (OperatingSystem.IsMacOS()) { yield return "lib" + name + ".dylib"; yield return name + ".dylib"; }
        else { yield return "lib" + name + ".so"; yield return name + ".so"; }
    }

    private static string RuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{os}-{arch}";
    }
}
