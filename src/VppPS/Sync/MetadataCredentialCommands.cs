using System.Management.Automation;
using VppPS.Engine.Sync;
using VppPS.Infrastructure;

namespace VppPS.Sync;

/// <summary>Saves an Apple developer key so that names and icons come from the Apps and Books metadata API.</summary>
[Cmdlet(VerbsCommon.Set, "VppMetadataCredential", SupportsShouldProcess = true)]
[OutputType(typeof(MetadataCredentialInfo))]
public sealed class SetVppMetadataCredentialCommand : VppCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateLength(10, 10)]
    public string TeamId { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateLength(10, 10)]
    public string KeyId { get; set; } = "";

    /// <summary>The .p8 file downloaded with the key.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string PrivateKeyPath { get; set; } = "";

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(PrivateKeyPath);
        if (!File.Exists(path))
            ThrowVppError(Engine.VppErrorKind.NotFound, "VppDeveloperKeyNotFound", $"The key file '{path}' does not exist. Give the .p8 file downloaded from your Apple developer account.", path);
        if (!ShouldProcess($"key {KeyId} of team {TeamId}", "Save the Apple developer key (encrypted) for the metadata API")) return;
        var pem = File.ReadAllText(path);
        if (TryRun(c => new MetadataCredentialStore(c).Save(TeamId, KeyId, pem), KeyId) && PassThru)
            WriteObject(new MetadataCredentialInfo(TeamId, KeyId));
    }
}

[Cmdlet(VerbsCommon.Get, "VppMetadataCredential")]
[OutputType(typeof(MetadataCredentialInfo))]
public sealed class GetVppMetadataCredentialCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (TryRun(c => new MetadataCredentialStore(c).Describe(), out var ids) && ids is { } found)
            WriteObject(new MetadataCredentialInfo(found.TeamId, found.KeyId));
    }
}

[Cmdlet(VerbsCommon.Remove, "VppMetadataCredential", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveVppMetadataCredentialCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (ShouldProcess("Apple developer key", "Remove; metadata then comes from the legacy lookup"))
            TryRun(c => new MetadataCredentialStore(c).Remove());
    }
}

/// <summary>The saved developer key's ids (never the key).</summary>
public sealed record MetadataCredentialInfo(string TeamId, string KeyId);
