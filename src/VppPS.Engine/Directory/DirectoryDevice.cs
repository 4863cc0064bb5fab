namespace VppPS.Engine.Directories;

/// <summary>A device of the directory, known by its serial number (kept upper-case).</summary>
public sealed class DirectoryDevice
{
    public required string SerialNumber { get; init; }
    public string? DeviceName { get; init; }
    /// <summary>The owner's user principal name, as the source gave it.</summary>
    public string? Owner { get; init; }
    public string? Platform { get; init; }
    public required string[] Groups { get; init; }
    public required DateTimeOffset CreatedDateTime { get; init; }
    public required DateTimeOffset LastModifiedDateTime { get; init; }
    public DateTimeOffset? RemovedDateTime { get; init; }
    public bool IsRemoved => RemovedDateTime is not null;

    public override string ToString() => SerialNumber;
}
