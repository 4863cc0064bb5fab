using System.Management.Automation;
using VppPS.Infrastructure;

namespace VppPS.Configuration;

/// <summary>Checks the state database: where it is, its schema version, SQLite's integrity check.</summary>
[Cmdlet(VerbsDiagnostic.Test, "VppDatabase")]
[OutputType(typeof(DatabaseHealth))]
public sealed class TestVppDatabaseCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (TryRun(c => new DatabaseHealth(c.Store.DatabasePath, c.Store.SchemaVersion, c.Store.JournalMode, c.Store.CheckIntegrity()), out var health))
            WriteObject(health);
    }
}

public sealed record DatabaseHealth(string DatabasePath, int SchemaVersion, string JournalMode, string IntegrityCheck)
{
    public bool IsHealthy => IntegrityCheck == "ok";
}
