using VppPS.Engine.Sync;

namespace VppPS.Engine.Tests.Sync;

/// <summary>The pwsh and module a schedule points at, found in fake installations in a temp folder.</summary>
public class ScheduledPowerShellTests
{
    private static readonly string Pwsh = OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh";

    /// <summary>A folder laid out as a PowerShell installation: pwsh, pwsh.dll, System.Management.Automation.dll.</summary>
    private static string Installation(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { Pwsh, "pwsh.dll", "System.Management.Automation.dll" }) File.WriteAllText(Path.Combine(folder, file), "");
        return Path.Combine(folder, Pwsh);
    }

    /// <summary>The pwsh dotnet tool's package: an installation under tools/net10.0/any/unix with DotnetToolSettings.xml above it.</summary>
    private static string DotnetTool(string packageFolder)
    {
        var any = Path.Combine(packageFolder, "tools", "net10.0", "any");
        var pwsh = Installation(Path.Combine(any, "unix"));
        File.WriteAllText(Path.Combine(any, "DotnetToolSettings.xml"), "<DotNetCliTool />");
        return pwsh;
    }

    /// <summary>A dotnet tool shim: pwsh alone in a folder.</summary>
    private static string Shim(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, Pwsh), "");
        return Path.Combine(folder, Pwsh);
    }

    private static string PathOf(params string[] files) => string.Join(Path.PathSeparator, files.Select(Path.GetDirectoryName));

    [Fact]
    public void The_running_pwsh_is_taken_when_it_is_an_installation()
    {
        using var folder = new TempFolder();
        var installed = Installation(Path.Combine(folder.Path, "PowerShell", "7"));
        Assert.Equal(installed, ScheduledPowerShell.FindPwsh(null, installed, "", []));
    }

    [Fact]
    public void Under_the_dotnet_host_an_installation_on_PATH_is_taken_and_the_tool_and_shims_are_passed_over()
    {
        using var folder = new TempFolder();
        var tool = DotnetTool(Path.Combine(folder.Path, "nuget", "powershell", "7.6.9"));
        var shim = Shim(Path.Combine(folder.Path, ".dotnet", "tools"));
        var installed = Installation(Path.Combine(folder.Path, "opt", "powershell"));
        Assert.Equal(installed, ScheduledPowerShell.FindPwsh(null, "/usr/share/dotnet/dotnet", PathOf(tool, shim, installed), []));
    }

    [Fact]
    public void The_pwsh_dotnet_tool_is_refused_with_what_to_do_when_nothing_else_is_found()
    {
        using var folder = new TempFolder();
        var tool = DotnetTool(Path.Combine(folder.Path, "nuget", "powershell", "7.6.9"));
        var shim = Shim(Path.Combine(folder.Path, ".dotnet", "tools"));
        var e = Assert.Throws<VppException>(() => ScheduledPowerShell.FindPwsh(null, "/usr/share/dotnet/dotnet", PathOf(tool, shim), []));
        Assert.Equal("VppPwshNotFound", e.ErrorId);
        Assert.Contains("-PwshPath", e.Message);
        Assert.Contains("https://aka.ms/install-powershell", e.Message);
        Assert.Contains("the pwsh dotnet tool", e.Message);
        Assert.Contains("no pwsh.dll beside it", e.Message);
        // The tool's own pwsh apphost is not taken for the running pwsh either.
        Assert.Equal("VppPwshNotFound", Assert.Throws<VppException>(() => ScheduledPowerShell.FindPwsh(null, tool, "", [])).ErrorId);
    }

    [Fact]
    public void A_given_pwsh_path_is_taken_as_it_is_and_must_exist()
    {
        using var folder = new TempFolder();
        var wrapper = Shim(Path.Combine(folder.Path, "bin"));
        Assert.Equal(wrapper, ScheduledPowerShell.FindPwsh(wrapper, "/usr/share/dotnet/dotnet", "", []));
        var e = Assert.Throws<VppException>(() => ScheduledPowerShell.FindPwsh(Path.Combine(folder.Path, "nothing", Pwsh), null, "", []));
        Assert.Equal("VppPwshNotFound", e.ErrorId);
        Assert.Contains("-PwshPath", e.Message);
    }

    [Fact]
    public void A_link_to_an_installation_is_taken_as_the_link()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        var installed = Installation(Path.Combine(folder.Path, "opt", "microsoft", "powershell", "7"));
        var bin = Directory.CreateDirectory(Path.Combine(folder.Path, "usr", "bin")).FullName;
        var link = Path.Combine(bin, Pwsh);
        File.CreateSymbolicLink(link, installed);
        Assert.Equal(link, ScheduledPowerShell.FindPwsh(null, null, bin, []));
        Assert.Contains(Path.Combine(Path.GetDirectoryName(installed)!, "Modules"), ScheduledPowerShell.ModuleFolders(link));
    }

    [Theory]
    [InlineData("VppPS/0.1.0/VppPS.psd1")]
    [InlineData("VppPS/VppPS.psd1")]
    public void A_module_in_a_folder_the_scheduled_pwsh_searches_is_imported_by_name(string relative)
    {
        using var folder = new TempFolder();
        var modules = Path.Combine(folder.Path, "Modules");
        var manifest = Path.Combine(modules, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        File.WriteAllText(manifest, "@{}");
        Assert.Equal("VppPS", ScheduledPowerShell.ModuleReference(manifest, [modules]));
        Assert.Equal(manifest, ScheduledPowerShell.ModuleReference(manifest, [Path.Combine(folder.Path, "Elsewhere")]));
    }

    [Fact]
    public void A_module_laid_out_in_a_clone_is_imported_by_its_path_and_must_exist()
    {
        using var folder = new TempFolder();
        var manifest = Path.Combine(folder.Path, "clone", "out", "VppPS", "VppPS.psd1");
        Assert.Equal("VppModuleNotFound", Assert.Throws<VppException>(() => ScheduledPowerShell.ModuleReference(manifest, [])).ErrorId);
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        File.WriteAllText(manifest, "@{}");
        Assert.Equal(manifest, ScheduledPowerShell.ModuleReference(manifest, [Path.Combine(folder.Path, "Modules")]));
    }

    [Fact]
    public void The_problem_names_what_no_longer_exists()
    {
        using var folder = new TempFolder();
        var installed = Installation(Path.Combine(folder.Path, "PowerShell"));
        var manifest = Path.Combine(folder.Path, "VppPS.psd1");
        File.WriteAllText(manifest, "@{}");
        Assert.Null(ScheduledPowerShell.Problem(installed, manifest));
        Assert.Contains("The pwsh it runs", ScheduledPowerShell.Problem(Path.Combine(folder.Path, "gone", Pwsh), manifest));
        Assert.Contains("The module it imports", ScheduledPowerShell.Problem(installed, Path.Combine(folder.Path, "gone.psd1")));
        var dotnet = Path.Combine(folder.Path, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        File.WriteAllText(dotnet, "");
        Assert.Contains("dotnet host", ScheduledPowerShell.Problem(dotnet, manifest));
        // By name: found in the pwsh's own Modules folder, or not installed any more.
        Assert.Contains("no longer installed", ScheduledPowerShell.Problem(installed, "VppPS"));
        var inPwshModules = Path.Combine(folder.Path, "PowerShell", "Modules", "VppPS", "0.1.0", "VppPS.psd1");
        Directory.CreateDirectory(Path.GetDirectoryName(inPwshModules)!);
        File.WriteAllText(inPwshModules, "@{}");
        Assert.Null(ScheduledPowerShell.Problem(installed, "VppPS"));
    }

    [Theory]
    [InlineData("& { Import-Module 'C:\\it''s\\VppPS.psd1'; Sync-VppToken -All } *>> 'x'", "C:\\it's\\VppPS.psd1")]
    [InlineData("$PSStyle.OutputRendering = 'PlainText'; Import-Module VppPS; Sync-VppToken -All", "VppPS")]
    [InlineData("Sync-VppToken -All", null)]
    public void The_imported_module_is_read_from_the_script(string script, string? module) =>
        Assert.Equal(module, ScheduledPowerShell.ImportedModule(script));
}
