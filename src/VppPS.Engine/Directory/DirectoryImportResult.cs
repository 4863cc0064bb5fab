namespace VppPS.Engine.Directories;

/// <summary>What Import-VppDirectory changed (or, with -WhatIf, would change).</summary>
public sealed class DirectoryImportResult
{
    public required string Path { get; init; }
    public int Rows { get; init; }
    public int UsersAdded { get; set; }
    public int UsersUpdated { get; set; }
    public int UsersRemoved { get; set; }
    public int DevicesAdded { get; set; }
    public int DevicesUpdated { get; set; }
    public int DevicesRemoved { get; set; }
    public int GroupsCreated { get; set; }
    public int MembershipsAdded { get; set; }
    public int MembershipsRemoved { get; set; }
    public bool Pruned { get; init; }
    public int TotalChanges => UsersAdded + UsersUpdated + UsersRemoved + DevicesAdded + DevicesUpdated + DevicesRemoved + GroupsCreated + MembershipsAdded + MembershipsRemoved;
    /// <summary>One line per change, in the order they were made.</summary>
    public List<string> Changes { get; } = [];
}
