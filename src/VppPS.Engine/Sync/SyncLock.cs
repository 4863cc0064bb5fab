using System.Diagnostics;
using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Sync;

/// <summary>
/// One sync per token at a time, across processes and hosts sharing the database. The lock is
/// a row in sync_state naming its holder; a holder that is gone (its process no longer runs on
/// this host, or it is older than <see cref="StaleAfter"/>) is taken over.
/// </summary>
public sealed class SyncLock : IDisposable
{
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(6);
    private readonly VppContext _context;
    private readonly long _tokenKey;
    private readonly string _owner = Guid.NewGuid().ToString();

    private SyncLock(VppContext context, long tokenKey)
    {
        _context = context;
        _tokenKey = tokenKey;
    }

    public static SyncLock Acquire(VppContext context, VppToken token)
    {
        var key = context.Store.Read(c => (long?)c.Scalar(null, "SELECT key FROM tokens WHERE id = $id", ("$id", token.Id.ToString())))
            ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"The token '{token.Name}' no longer exists.", token.Name);
        var syncLock = new SyncLock(context, key);
        context.Store.Write((c, t) =>
        {
            c.Execute(t, "INSERT OR IGNORE INTO sync_state (token_key) VALUES ($k)", ("$k", key));
            using (var command = c.Command(t, "SELECT lock_owner, lock_host, lock_pid, lock_at FROM sync_state WHERE token_key = $k", ("$k", key)))
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                if (!reader.IsDBNull(0))
                {
                    var host = reader.GetString(1);
                    var pid = reader.GetInt32(2);
                    var since = reader.GetString(3).ToDate();
                    if (!IsStale(host, pid, since, context.Clock.UtcNow))
                        throw new VppException(VppErrorKind.Conflict, "VppSyncInProgress",
                            $"A sync of '{token.Name}' is already running (process {pid} on {host}, since {since.ToLocalTime():yyyy-MM-dd HH:mm:ss}). " +
                            "Wait for it to finish, then run Sync-VppToken again if needed.", token.Name);
                    context.Observer.Warning($"Taking over the sync lock of '{token.Name}' left by process {pid} on {host}, which is no longer running.");
                }
            }
            c.Execute(t, "UPDATE sync_state SET lock_owner = $o, lock_host = $h, lock_pid = $p, lock_at = $at WHERE token_key = $k",
                ("$o", syncLock._owner), ("$h", Environment.MachineName), ("$p", Environment.ProcessId), ("$at", context.Clock.UtcNow.ToStored()), ("$k", key));
        });
        return syncLock;
    }

    public long TokenKey => _tokenKey;

    public void Dispose() => _context.Store.Write((c, t) =>
        c.Execute(t, "UPDATE sync_state SET lock_owner = NULL, lock_host = NULL, lock_pid = NULL, lock_at = NULL WHERE token_key = $k AND lock_owner = $o",
            ("$k", _tokenKey), ("$o", _owner)));

    private static bool IsStale(string host, int pid, DateTimeOffset since, DateTimeOffset now)
    {
        if (now - since > StaleAfter) return true;
        if (!string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
    }
}
