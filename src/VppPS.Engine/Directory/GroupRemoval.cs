namespace VppPS.Engine.Directories;

/// <summary>What removing a group took with it: memberships and assignments (whose licenses stay).</summary>
public sealed record GroupRemoval(long Memberships, int Assignments);
