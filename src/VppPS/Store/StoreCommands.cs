using System.Management.Automation;
using System.Net;
using System.Security;
using VppPS.Engine;
using VppPS.Engine.Security;
using VppPS.Engine.Store;
using VppPS.Infrastructure;

namespace VppPS.Store;

/// <summary>
/// Switches the current PowerShell session (runspace) to a store: a PostgreSQL database shared by
/// a team, a data folder, or back to what the environment and configuration say. The store is
/// opened (and its schema created or migrated) and the key checked before the switch, so a wrong
/// server, login or key leaves the session where it was.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "VppStore", DefaultParameterSetName = ConnectionStringSet)]
[OutputType(typeof(StoreInfo))]
public sealed class ConnectVppStoreCommand : VppCmdlet
{
    private const string ConnectionStringSet = "ConnectionString";
    private const string FolderSet = "Folder";
    private const string DefaultSet = "Default";

    /// <summary>A postgresql:// URI or an Npgsql connection string.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ConnectionStringSet)]
    [ValidateNotNullOrEmpty]
    public string? ConnectionString { get; set; }

    /// <summary>The team's store key (Base64 of 32 bytes); VPPPS_STORE_KEY when not given.</summary>
    [Parameter(ParameterSetName = ConnectionStringSet)]
    public SecureString? Key { get; set; }

    /// <summary>A data folder of its own for this session (SQLite).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FolderSet)]
    [ValidateNotNullOrEmpty]
    public string? Folder { get; set; }

    /// <summary>Back to the store the environment and configuration name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DefaultSet)]
    public SwitchParameter Default { get; set; }

    protected override bool ChangesState => false;

    protected override void EndProcessing()
    {
        var key = Key is null ? null : new NetworkCredential(string.Empty, Key).Password;
        var folder = Folder is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Folder);
        if (!TryRunEngine(observer =>
            {
                var choice = ParameterSetName switch
                {
                    ConnectionStringSet => StoreChoice.ForPostgres(ConnectionString!, key, "Session"),
                    FolderSet => StoreChoice.ForFolder(folder!, "Session"),
                    _ => null,
                };
                var resolved = StoreChoice.Resolve(choice);
                var session = VppSession.Current(resolved);
                foreach (var warning in session.TakeWarnings()) observer.Warning(warning);
                return (choice, info: session.Describe(resolved));
            }, out var opened))
            return;
        if (SessionRunspace is null)
            ThrowVppError(VppErrorKind.Unexpected, "VppNoSession", "Connect-VppStore needs a PowerShell session (runspace) to remember the store in.");
        SessionStore.Set(SessionRunspace!, opened.choice);
        WriteVerbose($"This PowerShell session now uses {opened.info.Location}.");
        WriteObject(opened.info);
    }
}

/// <summary>Shows the store this session uses: kind, where, schema, rights, key check, identity.</summary>
[Cmdlet(VerbsCommon.Get, "VppStore")]
[OutputType(typeof(StoreInfo))]
public sealed class GetVppStoreCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (TryRun(c => c.Session.Describe(c.Choice), out var info)) WriteObject(info);
    }
}

/// <summary>Makes a new store key for a team's PostgreSQL store: Base64 of 32 random bytes.</summary>
[Cmdlet(VerbsCommon.New, "VppStoreKey")]
[OutputType(typeof(string), typeof(SecureString))]
public sealed class NewVppStoreKeyCommand : PSCmdlet
{
    /// <summary>Returns the key as a SecureString (for a vault or Connect-VppStore -Key) rather than text.</summary>
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
