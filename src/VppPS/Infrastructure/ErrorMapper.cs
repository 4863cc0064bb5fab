using System.Management.Automation;
using VppPS.Engine;

namespace VppPS.Infrastructure;

/// <summary>The one mapping from the engine's exception to a PowerShell ErrorRecord.</summary>
internal static class ErrorMapper
{
    public static ErrorRecord ToErrorRecord(VppException e, object? target = null)
    {
        var record = new ErrorRecord(e, e.ErrorId, Category(e.Kind), e.Target ?? target);
        record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = null };
        return record;
    }

    /// <summary>Problems with the state store stop the command: no later pipeline item can succeed either.</summary>
    public static bool IsTerminating(VppException e) =>
        e.Kind is VppErrorKind.StateStore or VppErrorKind.PermissionDenied or VppErrorKind.DiskFull or VppErrorKind.Damaged or VppErrorKind.Cancelled;

    public static ErrorCategory Category(VppErrorKind kind) => kind switch
    {
        VppErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        VppErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        VppErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        VppErrorKind.Conflict => ErrorCategory.ResourceBusy,
        VppErrorKind.LimitExceeded => ErrorCategory.QuotaExceeded,
        VppErrorKind.TokenExpired => ErrorCategory.AuthenticationError,
        VppErrorKind.TokenInvalid => ErrorCategory.AuthenticationError,
        VppErrorKind.AppleError => ErrorCategory.ProtocolError,
        VppErrorKind.ServiceUnavailable => ErrorCategory.ConnectionError,
        VppErrorKind.StateStore => ErrorCategory.ResourceUnavailable,
        VppErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        VppErrorKind.DiskFull => ErrorCategory.WriteError,
        VppErrorKind.Damaged => ErrorCategory.InvalidData,
        VppErrorKind.Cancelled => ErrorCategory.OperationStopped,
        VppErrorKind.AuthenticationFailed => ErrorCategory.AuthenticationError,
        _ => ErrorCategory.NotSpecified,
    };
}
