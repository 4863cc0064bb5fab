namespace VppPS.Engine;

/// <summary>
/// The machine-readable kind of a <see cref="VppException"/>. The cmdlets map each kind to an
/// ErrorCategory; the engine never decides how PowerShell shows it.
/// </summary>
public enum VppErrorKind
{
    /// <summary>Something went wrong that has no better kind.</summary>
    Unexpected,
    /// <summary>The caller's input is wrong (a bad file, a bad value).</summary>
    InvalidArgument,
    /// <summary>The object named does not exist.</summary>
    NotFound,
    /// <summary>The object already exists (same name, same location).</summary>
    AlreadyExists,
    /// <summary>The request conflicts with the current state (another MDM holds the location, a sync is running).</summary>
    Conflict,
    /// <summary>A configured limit would be exceeded (token cap, licenses owned).</summary>
    LimitExceeded,
    /// <summary>The content token has expired (Apple 9621 or its expDate is past).</summary>
    TokenExpired,
    /// <summary>The content token was revoked or is not valid (Apple 9625, 9622).</summary>
    TokenInvalid,
    /// <summary>Apple answered with an error the caller cannot fix by retrying.</summary>
    AppleError,
    /// <summary>Apple could not be reached or kept failing after retries.</summary>
    ServiceUnavailable,
    /// <summary>The state database cannot be used (written by a newer VppPS, not VppPS's own, cannot be opened).</summary>
    StateStore,
    /// <summary>This account may not write the state (a read-only file or folder, a PostgreSQL login that may only read).</summary>
    PermissionDenied,
    /// <summary>The disk that holds the state database is full.</summary>
    DiskFull,
    /// <summary>The state database file is damaged.</summary>
    Damaged,
    /// <summary>The operation was cancelled.</summary>
    Cancelled,
    /// <summary>A login or key was refused (the store's password, the store key).</summary>
    AuthenticationFailed,
}
