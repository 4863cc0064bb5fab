using System.Text.Json;

namespace VppPS.Simulator;

internal sealed record ReqUser(string ClientUserId, string? Email, string? ManagedAppleId);

internal readonly record struct Pair(string AdamId, string PricingParam, bool Device, string Target);

/// <summary>The asynchronous work behind the write endpoints. Every method runs under the location lock.</summary>
public sealed partial class SimulatorState
{
    internal const string Msg9709 = "There are not enough assets available to complete this association.";
    internal const string Msg9609 = "Registered user not found.";
    internal const string Msg9716 = "A registered user already exists with the provided clientUserId.";
    internal const string Msg9618 = "User already retired.";

    internal SimEvent AssociateLocked(SimLocation l, List<AssetRef> assets, List<string> cuids, List<string> serials) =>
        CreateEventLocked(l, "ASSOCIATE", assets.Count * (cuids.Count + serials.Count), e =>
        {
            var ok = new List<Pair>();
            var failedPairs = new List<(EventFailure f, List<Pair> pairs)>();
            var unknown = cuids.Where(c => l.ActiveUser(c) is null).ToList();
            var users = cuids.Where(c => l.ActiveUser(c) is not null).Select(c => l.CuidOf(c, false)).ToList();
            var devices = serials.Select(s => l.SerialOf(s, true)).ToList();
            if (unknown.Count > 0)
            {
                var f = new EventFailure { ErrorNumber = 9609, ErrorMessage = Msg9609, ClientUserIds = unknown };
                failedPairs.Add((f, assets.SelectMany(a => unknown.Select(u => new Pair(a.AdamId, a.PricingParam, false, u))).ToList()));
            }
            foreach (var ar in assets)
            {
                var a = l.FindAsset(ar.AdamId, ar.PricingParam);
                var failedUsers = new List<string>(); var failedSerials = new List<string>();
                long avail = a?.Available ?? 0;
                foreach (var (dev, t) in users.Select(u => (false, u)).Concat(devices.Select(d => (true, d))))
                {
                    var name = dev ? l.Serials[t] : l.Cuids[t];
                    if (a != null && l.HasLiveAssignment(a.Index, dev, t)) { ok.Add(new(a.AdamId, a.PricingParam, dev, name)); continue; }
                    if (a != null && avail > 0) { l.Assign(a, dev, t); avail--; ok.Add(new(a.AdamId, a.PricingParam, dev, name)); continue; }
                    (dev ? failedSerials : failedUsers).Add(name);
                }
                if (failedUsers.Count + failedSerials.Count > 0)
                {
                    var f = new EventFailure
                    {
                        ErrorNumber = 9709, ErrorMessage = Msg9709, Assets = [ar],
                        ClientUserIds = failedUsers.Count > 0 ? failedUsers : null,
                        SerialNumbers = failedSerials.Count > 0 ? failedSerials : null,
                    };
                    failedPairs.Add((f, failedUsers.Select(u => new Pair(ar.AdamId, ar.PricingParam, false, u))
                        .Concat(failedSerials.Select(s => new Pair(ar.AdamId, ar.PricingParam, true, s))).ToList()));
                }
            }
            Finish(l, e, "ASSOCIATE", ok, failedPairs);
        });

    internal SimEvent DisassociateLocked(SimLocation l, List<AssetRef> assets, List<string> cuids, List<string> serials) =>
        CreateEventLocked(l, "DISASSOCIATE", assets.Count * (cuids.Count + serials.Count), e =>
        {
            var ok = new List<Pair>();
            var failedPairs = new List<(EventFailure f, List<Pair> pairs)>();
            var unknown = cuids.Where(c => l.CuidOf(c, false) < 0).ToList();
            if (unknown.Count > 0)
            {
                var f = new EventFailure { ErrorNumber = 9609, ErrorMessage = Msg9609, ClientUserIds = unknown };
                failedPairs.Add((f, assets.SelectMany(a => unknown.Select(u => new Pair(a.AdamId, a.PricingParam, false, u))).ToList()));
            }
            foreach (var ar in assets)
            {
                var a = l.FindAsset(ar.AdamId, ar.PricingParam);
                foreach (var c in cuids.Where(c => l.CuidOf(c, false) >= 0))
                {
                    if (a != null) l.Unassign(a, false, l.CuidOf(c, false));
                    ok.Add(new(ar.AdamId, ar.PricingParam, false, c));
                }
                foreach (var s in serials)
                {
                    var d = l.SerialOf(s, false);
                    if (a != null && d >= 0) l.Unassign(a, true, d);
                    ok.Add(new(ar.AdamId, ar.PricingParam, true, s));
                }
            }
            Finish(l, e, "DISASSOCIATE", ok, failedPairs);
        });

    internal SimEvent RevokeLocked(SimLocation l, List<string> cuids, List<string> serials) =>
        CreateEventLocked(l, "REVOKE", cuids.Count + serials.Count, e =>
        {
            var failedPairs = new List<(EventFailure f, List<Pair> pairs)>();
            var unknown = cuids.Where(c => l.CuidOf(c, false) < 0).ToList();
            if (unknown.Count > 0)
                failedPairs.Add((new EventFailure { ErrorNumber = 9609, ErrorMessage = Msg9609, ClientUserIds = unknown }, new List<Pair>()));
            var userSet = cuids.Select(c => l.CuidOf(c, false)).Where(c => c >= 0).ToHashSet();
            var devSet = serials.Select(s => l.SerialOf(s, false)).Where(d => d >= 0).ToHashSet();
            var ok = ReleaseRevocable(l, userSet, devSet);
            e.NumCompleted = e.NumRequested - unknown.Count;
            e.Failures = failedPairs.Select(x => x.f).ToList();
            NotifyAssets(l, e, "REVOKE", ok, null);
            foreach (var (f, _) in failedPairs) NotifyAssets(l, e, "REVOKE", new List<Pair>(), f);
        });

    /// <summary>Removes every revocable assignment of the targets in one scan of the rows.</summary>
    private static List<Pair> ReleaseRevocable(SimLocation l, HashSet<int> users, HashSet<int> devices)
    {
        var released = new List<Pair>();
        if (users.Count == 0 && devices.Count == 0) return released;
        for (int i = 0; i < l.RowCount; i++)
        {
            var r = l.Rows[i];
            if (r.Removed) continue;
            if (!(r.IsDevice ? devices.Contains(r.Target) : users.Contains(r.Target))) continue;
            var a = l.Assets[r.Asset];
            if (!a.Revocable) continue;
            l.Unassign(a, r.IsDevice, r.Target);
            released.Add(new(a.AdamId, a.PricingParam, r.IsDevice, l.TargetName(r)));
        }
        return released;
    }

    private void Finish(SimLocation l, SimEvent e, string type, List<Pair> ok, List<(EventFailure f, List<Pair> pairs)> failed)
    {
        e.NumCompleted = e.NumRequested - failed.Sum(x => x.pairs.Count);
        e.Failures = failed.Select(x => x.f).ToList();
        NotifyAssets(l, e, type, ok, null);
        foreach (var (f, pairs) in failed) NotifyAssets(l, e, type, pairs, f);
    }

    /// <summary>ASSET_MANAGEMENT notifications, at most 100 assignments each.</summary>
    private void NotifyAssets(SimLocation l, SimEvent e, string type, List<Pair> pairs, EventFailure? error)
    {
        if (error == null && pairs.Count == 0) return;
        for (int start = 0; start == 0 || start < pairs.Count; start += 100)
        {
            var chunk = pairs.Skip(start).Take(100).ToList();
            Notifier.Enqueue(l, "ASSET_MANAGEMENT", w =>
            {
                w.WritePropertyName("assignments");
                w.WriteStartArray();
                foreach (var p in chunk)
                {
                    w.WriteStartObject();
                    w.WriteString("adamId", p.AdamId);
                    w.WriteString("pricingParam", p.PricingParam);
                    w.WriteString(p.Device ? "serialNumber" : "clientUserId", p.Target);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (error != null) { w.WritePropertyName("error"); AppleApi.WriteFailure(w, error); }
                w.WriteString("eventId", e.Id);
                w.WriteString("result", error == null ? "SUCCESS" : "FAILURE");
                w.WriteString("type", type);
            });
        }
    }

    private void NotifyUsers(SimLocation l, SimEvent e, string type, List<UserRow> users, EventFailure? error)
    {
        if (error == null && users.Count == 0) return;
        for (int start = 0; start == 0 || start < users.Count; start += 100)
        {
            var chunk = users.Skip(start).Take(100).ToList();
            Notifier.Enqueue(l, "USER_MANAGEMENT", w =>
            {
                if (error != null) { w.WritePropertyName("error"); AppleApi.WriteFailure(w, error); }
                w.WriteString("eventId", e.Id);
                w.WriteString("result", error == null ? "SUCCESS" : "FAILURE");
                w.WriteString("type", type);
                w.WritePropertyName("users");
                w.WriteStartArray();
                foreach (var u in chunk) AppleApi.WriteUser(w, u);
                w.WriteEndArray();
            });
        }
    }

    internal SimEvent CreateUsersLocked(SimLocation l, List<ReqUser> users) =>
        CreateEventLocked(l, "CREATE", users.Count, e =>
        {
            var created = new List<UserRow>(); var dup = new List<string>();
            foreach (var r in users)
            {
                if (l.ActiveUser(r.ClientUserId) != null) { dup.Add(r.ClientUserId); continue; }
                var assoc = r.ManagedAppleId != null;
                created.Add(l.AddUser(new UserRow
                {
                    ClientUserId = r.ClientUserId, Email = r.Email, ManagedAppleId = r.ManagedAppleId,
                    Status = assoc ? UserStatus.Associated : UserStatus.Registered,
                    IdHash = assoc ? IdHashFor(r.ManagedAppleId, l) : null,
                    InviteCode = assoc ? null : l.NewHex(16),
                    Version = l.VersionSeq,
                }));
            }
            e.NumCompleted = created.Count;
            EventFailure? f = dup.Count > 0 ? new EventFailure { ErrorNumber = 9716, ErrorMessage = Msg9716, ClientUserIds = dup } : null;
            if (f != null) e.Failures.Add(f);
            NotifyUsers(l, e, "CREATE", created, null);
            if (f != null) NotifyUsers(l, e, "CREATE", dup.Select(d => l.ActiveUser(d)!).ToList(), f);
        });

    internal SimEvent UpdateUsersLocked(SimLocation l, List<ReqUser> users) =>
        CreateEventLocked(l, "UPDATE", users.Count, e =>
        {
            var updated = new List<UserRow>(); var missing = new List<string>();
            foreach (var r in users)
            {
                var u = l.ActiveUser(r.ClientUserId);
                if (u is null) { missing.Add(r.ClientUserId); continue; }
                if (r.Email != null) u.Email = r.Email;
                if (r.ManagedAppleId != null)
                {
                    u.ManagedAppleId = r.ManagedAppleId;
                    if (u.Status == UserStatus.Registered) { u.Status = UserStatus.Associated; u.InviteCode = null; }
                    u.IdHash = IdHashFor(r.ManagedAppleId, l);
                }
                u.Version = l.VersionSeq;
                updated.Add(u);
            }
            e.NumCompleted = updated.Count;
            EventFailure? f = missing.Count > 0 ? new EventFailure { ErrorNumber = 9609, ErrorMessage = Msg9609, ClientUserIds = missing } : null;
            if (f != null) e.Failures.Add(f);
            NotifyUsers(l, e, "UPDATE", updated, null);
            if (f != null) NotifyUsers(l, e, "UPDATE", new List<UserRow>(), f);
        });

    internal SimEvent RetireUsersLocked(SimLocation l, List<ReqUser> users) =>
        CreateEventLocked(l, "RETIRE", users.Count, e =>
        {
            var retired = new List<UserRow>(); var missing = new List<string>(); var already = new List<string>();
            foreach (var r in users)
            {
                var u = l.ActiveUser(r.ClientUserId);
                if (u is null)
                {
                    (l.CuidOf(r.ClientUserId, false) >= 0 ? already : missing).Add(r.ClientUserId);
                    continue;
                }
                u.Status = UserStatus.Retired;
                u.InviteCode = null;
                u.Version = l.VersionSeq;
                retired.Add(u);
            }
            var released = ReleaseRevocable(l, retired.Select(u => u.Cuid).ToHashSet(), new HashSet<int>());
            ReleaseSubscriptionSeatsLocked(l, e, retired.Select(u => u.Cuid).ToHashSet());
            e.NumCompleted = retired.Count;
            if (missing.Count > 0) e.Failures.Add(new EventFailure { ErrorNumber = 9609, ErrorMessage = Msg9609, ClientUserIds = missing });
            if (already.Count > 0) e.Failures.Add(new EventFailure { ErrorNumber = 9618, ErrorMessage = Msg9618, ClientUserIds = already });
            NotifyUsers(l, e, "RETIRE", retired, null);
            foreach (var f in e.Failures) NotifyUsers(l, e, "RETIRE", new List<UserRow>(), f);
        });
}
