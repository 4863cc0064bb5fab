namespace VppPS.Engine;

/// <summary>
/// The one exception type the engine throws for problems a user can act on. <see cref="Kind"/>
/// is machine-readable; <see cref="ErrorId"/> is a stable identifier such as "VppTokenExpired";
/// the message says what happened and what to do. Messages never contain secrets.
/// </summary>
public class VppException : Exception
{
    public VppException(VppErrorKind kind, string errorId, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        ErrorId = errorId;
        Target = target;
    }

    public VppErrorKind Kind { get; }

    /// <summary>A stable identifier of the problem, of the form Vpp&lt;Problem&gt;.</summary>
    public string ErrorId { get; }

    /// <summary>The object the problem is about (a token name, a path), never a secret.</summary>
    public object? Target { get; }

    /// <summary>Apple's errorNumber when the problem came from Apple.</summary>
    public int? AppleErrorNumber { get; init; }

    /// <summary>
    /// The host (and port) that could not be reached at all (no such name, connection refused,
    /// TLS refused), when that is the problem: other calls to the same host in the same run
    /// would fail the same way.
    /// </summary>
    public string? UnreachableHost { get; init; }
}
