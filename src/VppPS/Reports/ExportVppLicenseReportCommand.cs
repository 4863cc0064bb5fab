using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Reports;
using VppPS.Infrastructure;
using VppPS.Tokens;

namespace VppPS.Reports;

/// <summary>
/// Writes license use per app, book and token, as of the last sync, to an HTML page with charts
/// or a CSV file. Tokens piped in (Get-VppToken) or named with -Token go into one report.
/// </summary>
[Cmdlet(VerbsData.Export, "VppLicenseReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportVppLicenseReportCommand : VppCmdlet
{
    private readonly List<Guid> _tokenIds = [];

    /// <summary>The file to write: .html / .htm or .csv (or say which with -Format).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ValidateSet("Html", "Csv")]
    public string? Format { get; set; }

    /// <summary>Token names (wildcards); every token when neither this nor -TokenId is given.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(TokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Token { get; set; }

    /// <summary>Token ids; bound from the Id of tokens piped in (Get-VppToken), which all go into one report.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    public Guid[]? TokenId { get; set; }

    /// <summary>Refuses to replace an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Writes the report's FileInfo.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (TokenId is not null) _tokenIds.AddRange(TokenId);
    }

    protected override void EndProcessing()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        var format = Format is null ? LicenseReport.FormatOf(path) : Enum.Parse<LicenseReportFormat>(Format, ignoreCase: true);
        if (format is null)
            ThrowVppError(VppErrorKind.InvalidArgument, "VppReportFormatUnknown",
                $"Cannot tell the report's format from '{System.IO.Path.GetFileName(path)}': name it .html or .csv, or add -Format Html or -Format Csv.", Path);
        if (System.IO.Directory.Exists(path))
            ThrowVppError(VppErrorKind.InvalidArgument, "VppReportPathIsFolder", $"'{path}' is a folder: give a file name, for example {System.IO.Path.Combine(path, "licenses.html")}.", Path);
        if (NoClobber && File.Exists(path))
            ThrowVppError(VppErrorKind.InvalidArgument, "VppReportExists", $"'{path}' exists and -NoClobber keeps it. Choose another -Path, or leave out -NoClobber to replace it.", Path);
        if (!ShouldProcess(path, $"Write the license report ({format})")) return;
        var ids = _tokenIds.Count == 0 ? null : _tokenIds.ToHashSet();
        if (!TryRun(c =>
            {
                var report = LicenseReport.Build(c, Token, ids);
                report.Save(path, format!.Value);
                return report;
            }, out var written, Path)) return;
        if (written.Rows.Count == 0)
            WriteWarning(Token is null && ids is null
                ? "The report is empty: no token has been synced yet. Run Sync-VppToken -All first."
                : "The report is empty: no synced token matches -Token or the tokens piped in. Run Get-VppToken to list them, and Sync-VppToken to sync them.");
        WriteVerbose($"Wrote {written.Rows.Count} app(s) and book(s) to {path}.");
        if (PassThru) WriteObject(new FileInfo(path));
    }
}
