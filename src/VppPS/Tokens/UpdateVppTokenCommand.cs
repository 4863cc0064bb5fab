using System.Management.Automation;
using System.Net;
using System.Security;
using VppPS.Engine;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;

namespace VppPS.Tokens;

/// <summary>Renews a token in place with a new file of the same location: same Id, assignments kept.</summary>
[Cmdlet(VerbsData.Update, "VppToken", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(VppToken))]
public sealed class UpdateVppTokenCommand : VppTokenCmdlet
{
    /// <summary>The new .vpptoken file (this or -Token).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The new token's text as a SecureString, for runbooks that keep it in an encrypted variable or a vault (this or -Path).</summary>
    [Parameter]
    public SecureString? Token { get; set; }

    protected override void BeginProcessing()
    {
        if ((Path is null) == (Token is null))
            ThrowVppError(VppErrorKind.InvalidArgument, "VppTokenSourceMissing",
                "Give the new token once: -Path with the .vpptoken file, or -Token with its text as a SecureString.");
    }

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
            var source = Token is not null ? "the token given with -Token" : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            ContentTokenFile file;
            try { file = Token is not null ? ContentTokenFile.Parse(new NetworkCredential("", Token).Password, source) : ContentTokenFile.Read(source); }
            catch (VppException e) { WriteError(ErrorMapper.ToErrorRecord(e, source)); return; }
            if (!ShouldProcess(token.Name, $"Renew the content token with {(Token is not null ? source : $"'{source}'")} (expires {file.ExpiresAt:yyyy-MM-dd})")) continue;
            if (TryRun(c => new TokenService(c).UpdateAsync(token.Id, file, CancelToken).GetAwaiter().GetResult(), out var updated, token.Name))
                WriteObject(updated);
        }
    }
}
