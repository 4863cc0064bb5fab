using System.Management.Automation;
using VppPS.Engine.Store;
using VppPS.Infrastructure;

namespace VppPS.Configuration;

/// <summary>Reads the audit journal, newest first; -First/-Skip page through it.</summary>
[Cmdlet(VerbsCommon.Get, "VppAuditLog", SupportsPaging = true)]
[OutputType(typeof(AuditEntry))]
public sealed class GetVppAuditLogCommand : VppCmdlet
{
    [Parameter]
    public DateTime Since { get; set; }

    /// <summary>Wildcard on the target (token name, group, app...).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string? Target { get; set; }

    /// <summary>Wildcard on the command that made the change.</summary>
    [Parameter]
    [SupportsWildcards]
    public string? Command { get; set; }

    protected override void ProcessRecord()
    {
        var query = new AuditQuery(
            MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? new DateTimeOffset(Since.ToUniversalTime()) : null,
            Target, Command);
        var first = PagingParameters.First == ulong.MaxValue ? long.MaxValue : (long)Math.Min(PagingParameters.First, long.MaxValue);
        var skip = (long)Math.Min(PagingParameters.Skip, long.MaxValue);
        if (!TryRun(c => c.Journal.Read(query, skip, first), out var entries)) return;
        if (PagingParameters.IncludeTotalCount)
            if (TryRun(c => c.Journal.Count(query), out var total))
                WriteObject(PagingParameters.NewTotalCount((ulong)total, 1.0));
        foreach (var entry in entries) WriteObject(entry);
    }
}
