using System.Management.Automation;
using System.Net;
using System.Security;
using VppPS.Engine;
using VppPS.Engine.Store;
using VppPS.Infrastructure;

namespace VppPS.Store;

/// <summary>
/// Copies everything in this session's store to another store (a PostgreSQL database or a data
/// folder), in one transaction of the destination; refuses a destination that holds state unless
/// -Force. -WhatIf says what would be copied.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "VppState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(StateCopyResult))]
public sealed class CopyVppStateCommand : VppCmdlet
{
    /// <summary>A postgresql:// URI, an Npgsql connection string, or a folder.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>The destination's store key (PostgreSQL), else VPPPS_STORE_KEY.</summary>
    [Parameter]
    public SecureString? Key { get; set; }

    /// <summary>Replaces the state a destination already holds.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Copying only reads this session's store: a read-only login may copy it out.</summary>
    protected override bool ChangesState => false;

    protected override void EndProcessing()
    {
        var key = Key is null ? null : new NetworkCredential(string.Empty, Key).Password;
        var destination = StoreLocation.LooksLikePostgres(Destination!) ? Destination! : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination!);
        if (!TryRun(c => new StateCopier(c, VppSession.Current(StoreChoice.FromText(destination, key, "Copy"))).Survey(), out var survey)) return;
        foreach (var table in survey.Tables) WriteVerbose($"{table.Table}: {table.Rows:N0} rows to copy");
        var filled = survey.Tables.Where(t => t.Rows > 0).Select(t => $"{t.Table} {t.Rows:N0}").ToList();
        var empty = survey.Tables.Count - filled.Count;
        var action = $"Copy {survey.Rows:N0} rows from {survey.Source}" +
            (filled.Count > 0 ? $" ({string.Join(", ", filled)}{(empty > 0 ? $"; {empty} empty tables" : "")})" : $" ({empty} empty tables)") +
            (survey.DestinationHeldState ? (Force ? ", replacing the state it holds" : " (it holds state: -Force replaces it)") : "");
        if (!ShouldProcess(survey.Destination, action))
            return;
        if (TryRun(c => new StateCopier(c, VppSession.Current(StoreChoice.FromText(destination, key, "Copy"))).Copy(Force, survey), out var result))
            WriteObject(result);
    }
}
