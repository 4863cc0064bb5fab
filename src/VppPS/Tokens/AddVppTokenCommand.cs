using System.Management.Automation;
using System.Net;
using System.Security;
using VppPS.Engine;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;

namespace VppPS.Tokens;

[Cmdlet(VerbsCommon.Add, "VppToken", SupportsShouldProcess = true, DefaultParameterSetName = FromFile)]
[OutputType(typeof(VppToken))]
public sealed class AddVppTokenCommand : VppCmdlet
{
    private const string FromFile = "FromFile";
    private const string FromToken = "FromToken";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FromFile, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = FromToken)]
    public SecureString? Token { get; set; }

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string AppleId { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateSet("Business", "Education")]
    public string AccountType { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VppPS.Infrastructure.NewNameCompleter))]
    public string? Name { get; set; }

    [Parameter]
    [ValidatePattern("^[A-Za-z]{2}$")]
    public string? CountryOrRegion { get; set; }

    [Parameter]
    public SwitchParameter AutomaticallyUpdateApps { get; set; }

    [Parameter]
    public SwitchParameter ClaimFromExternalMdm { get; set; }

    protected override void ProcessRecord()
    {
        string source;
        ContentTokenFile file;
        try
        {
            if (ParameterSetName == FromToken)
            {
                source = "The token given with -Token";
                file = ContentTokenFile.Parse(new NetworkCredential("", Token).Password, source);
            }
            else
            {
                source = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
                file = ContentTokenFile.Read(source);
            }
        }
        catch (VppException e)
        {
            WriteError(ErrorMapper.ToErrorRecord(e, Path));
            return;
        }

        if (!ShouldProcess($"{file.OrganizationName} ({source})", "Add the content token and claim its organizational unit (location) for VppPS at Apple"))
            return;
        var request = new AddTokenRequest(file, AppleId, Enum.Parse<VppTokenAccountType>(AccountType, ignoreCase: true), Name, CountryOrRegion?.ToUpperInvariant(), AutomaticallyUpdateApps, ClaimFromExternalMdm);
        if (TryRun(c => new TokenService(c).AddAsync(request, CancelToken).GetAwaiter().GetResult(), out var token, source))
            WriteObject(token);
    }
}
