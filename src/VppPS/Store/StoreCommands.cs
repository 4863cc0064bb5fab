using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using VppPS.Engine;
using VppPS.Engine.Security;
using VppPS.Engine.Store;
using VppPS.Infrastructure;

namespace VppPS.Store;

/// <summary>Chooses the store of this PowerShell session only: a PostgreSQL database a team shares, or a local data folder.</summary>
[Cmdlet(VerbsCommunications.Connect, "VppStore", DefaultParameterSetName = "PostgreSql")]
[OutputType(typeof(StoreInfo))]
public sealed class ConnectVppStoreCommand : VppCmdlet
{
    /// <summary>postgresql://user:password@host:port/database or Host=...;Username=...;Password=...;Database=...</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "PostgreSql")]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = "";

    /// <summary>The store key (Base64 of 32 bytes, from New-VppStoreKey); VPPPS_STORE_KEY when not given.</summary>
    [Parameter(ParameterSetName = "PostgreSql")]
    public SecureString? Key { get; set; }

    /// <summary>A local data folder (SQLite) for this session.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Folder")]
    [ValidateNotNullOrEmpty]
    public string Folder { get; set; } = "";

    /// <summary>Forget this session's choice: use VPPPS_STORE, the saved store or the local data folder again.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Default")]
    public SwitchParameter Default { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        StoreChoice? choice;
        try
        {
            choice = ParameterSetName switch
            {
                "PostgreSql" => StoreChoice.ForPostgres(ConnectionString, Key is null ? null : Plain(Key)),
                "Folder" => StoreChoice.ForFolder(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Folder)),
                _ => null,
            };
        }
        catch (VppException e)
        {
            ThrowTerminatingError(ErrorMapper.ToErrorRecord(e));
            return;
        }
        // Opened now, so that a wrong password, key or server is told here, not at the next command.
        var previous = SessionStore.Current;
        SessionStore.Set(choice);
        if (!TryRun(c => c.Session.Describe(), out var info))
        {
            SessionStore.Set(previous);
            return;
        }
        WriteVerbose($"This session now uses the store {info.Kind} {(info.Kind == StoreKind.Sqlite ? info.Folder : $"{info.Username}@{info.Host}:{info.Port}/{info.Database}")}.");
        if (PassThru) WriteObject(info);
    }

    internal static string Plain(SecureString secure)
    {
        var pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try { return Marshal.PtrToStringUni(pointer) ?? ""; }
        finally { Marshal.ZeroFreeGlobalAllocUnicode(pointer); }
    }
}

/// <summary>Shows the store in effect: kind, where it is, schema version, what this login may do, whether the key matches.</summary>
[Cmdlet(VerbsCommon.Get, "VppStore")]
[OutputType(typeof(StoreInfo))]
public sealed class GetVppStoreCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (TryRun(c => c.Session.Describe(), out var info)) WriteObject(info);
    }
}

/// <summary>Prints a new store key: Base64 of 32 random bytes, for VPPPS_STORE_KEY or Connect-VppStore -Key.</summary>
[Cmdlet(VerbsCommon.New, "VppStoreKey")]
[OutputType(typeof(string), typeof(SecureString))]
public sealed class NewVppStoreKeyCommand : PSCmdlet
{
    /// <summary>The key as a SecureString (to pass on without showing it).</summary>
    [Parameter]
    public SwitchParameter AsSecureString { get; set; }

    protected override void EndProcessing()
    {
        var key = StoreKey.New();
        if (!AsSecureString)
        {
            WriteObject(key);
            return;
        }
        var secure = new SecureString();
        foreach (var ch in key) secure.AppendChar(ch);
        secure.MakeReadOnly();
        WriteObject(secure);
    }
}
