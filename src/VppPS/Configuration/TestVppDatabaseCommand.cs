using System.Management.Automation;
using VppPS.Engine;
using VppPS.Infrastructure;

namespace VppPS.Configuration;

/// <summary>
/// Checks the state database: where it is, its schema version, SQLite's integrity check. Damage
/// is reported in the result (IsHealthy false, Problem says why), not thrown: the database is
/// examined without opening a session on it.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "VppDatabase")]
[OutputType(typeof(DatabaseHealth))]
public sealed class TestVppDatabaseCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (TryRunEngine(_ => VppSession.CheckDatabase(SessionStore.ChoiceFor(SessionRunspace)), out var check))
            WriteObject(new DatabaseHealth(check.DatabasePath, check.SchemaVersion, check.JournalMode, check.IntegrityCheck, check.Problem));
    }
}

public sealed record DatabaseHealth(string DatabasePath, int? SchemaVersion, string? JournalMode, string IntegrityCheck, string? Problem)
{
    public bool IsHealthy => Problem is null;
}
