namespace VppPS.Engine.Store;

/// <summary>One line of the audit journal: who changed what, when, with which command.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset TimeCreated, string UserName, string HostName, string Command, string Target, string Action, string Summary);
