namespace VppPS.Engine.Store;

/// <summary>
/// What Test-VppDatabase found: the file, its schema version and journal mode (null when SQLite
/// cannot read them), SQLite's integrity check ("ok" when sound), and what is wrong with it in
/// words (null when nothing is).
/// </summary>
public sealed record DatabaseCheck(string DatabasePath, int? SchemaVersion, string? JournalMode, string IntegrityCheck, string? Problem)
{
    public bool IsHealthy => Problem is null;
}
