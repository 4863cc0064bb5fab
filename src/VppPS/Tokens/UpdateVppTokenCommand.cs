using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;

namespace VppPS.Tokens;

/// <summary>Renews a token in place with a new file of the same location: same Id, assignments kept.</summary>
[Cmdlet(VerbsData.Update, "VppToken", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(VppToken))]
public sealed class UpdateVppTokenCommand : VppTokenCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        var tokens = ResolveTokens();
        if (tokens.Count > 1)
        {
            WriteVppError(VppErrorKind.InvalidArgument, "VppTokenAmbiguous",
                $"One file renews one token, but {tokens.Count} tokens match ({string.Join(", ", tokens.Select(t => t.Name))}). Name exactly one.", Name);
            return;
        }
        foreach (var token in tokens)
        {
            var source = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            ContentTokenFile file;
            try { file = ContentTokenFile.Read(source); }
            catch (VppException e) { WriteError(ErrorMapper.ToErrorRecord(e, source)); return; }
            if (!ShouldProcess(token.Name, $"Renew the content token with '{source}' (expires {file.ExpiresAt:yyyy-MM-dd})")) continue;
            if (TryRun(c => new TokenService(c).UpdateAsync(token.Id, file, CancelToken).GetAwaiter().GetResult(), out var updated, token.Name))
                WriteObject(updated);
        }
    }
}
