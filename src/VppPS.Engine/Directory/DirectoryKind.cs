namespace VppPS.Engine.Directories;

/// <summary>What a group holds: users (user licensing) or devices (device licensing, serial numbers).</summary>
public enum DirectoryKind { User, Device }
