using System.Globalization;
using System.Text.Json;

namespace VppPS.Simulator;

/// <summary>Seat counts of one subscription, computed from its seats and live assignments.</summary>
internal struct SubCounts
{
    public int AssignedRenewing, AssignedExpiring, UsedRenewing, UsedExpiring;
}

/// <summary>
/// Subscriptions (2026, spec §2.10 and §9): loading, seat assignment events, the period end, purchases,
/// administrators and the control surface. Every *Locked method runs under the location lock.
/// </summary>
public sealed partial class SimulatorState
{
    internal static readonly string[] SubscriptionStatuses = ["ACTIVE", "INACTIVE", "PAUSED"];

    // ---------------------------------------------------------------- loading
    private void LoadSubscriptions(SimLocation loc, ScenarioLocation s, DateTimeOffset now)
    {
        loc.SubRng = new Random(unchecked(Scenario.Seed * 31337 + loc.Ordinal * 7907 + 29));
        loc.SubscriptionManagement = s.SubscriptionManagement;
        loc.NewSubVersion();
        var where = $"Location '{s.LocationName}'";
        if (s.Subscriptions.Count > 0 && s.SubscriptionManagement != true)
            throw new InvalidDataException($"{where} lists subscriptions, so it must say \"subscriptionManagement\": true.");
        foreach (var x in s.Subscriptions)
        {
            if (x.AdamId <= 0) throw new InvalidDataException($"{where}: a subscription needs a positive integer adamId.");
            if (loc.SubById.ContainsKey(x.AdamId)) throw new InvalidDataException($"{where}: subscription {x.AdamId} is listed twice.");
            var text = x.AdamId.ToString(CultureInfo.InvariantCulture);
            if (loc.Assets.Any(a => a.AdamId == text)) throw new InvalidDataException($"{where}: subscription {x.AdamId} has the adamId of an asset.");
            if (!SubscriptionStatuses.Contains(x.Status)) throw new InvalidDataException($"Subscription {x.AdamId}: status must be ACTIVE, INACTIVE or PAUSED.");
            if (x.BillingPeriodDays <= 0) throw new InvalidDataException($"Subscription {x.AdamId}: billingPeriodDays must be positive.");
            if (x.Total is { } t0 && (t0.Renewing < 0 || t0.Expiring < 0)) throw new InvalidDataException($"Subscription {x.AdamId}: seat totals must not be negative.");
            if (x.PeriodEndDate != null && x.PeriodEndsInDays != null) throw new InvalidDataException($"Subscription {x.AdamId}: give periodEndDate or periodEndsInDays, not both.");
            DateOnly end;
            if (x.PeriodEndDate != null)
            {
                if (!DateOnly.TryParseExact(x.PeriodEndDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out end))
                    throw new InvalidDataException($"Subscription {x.AdamId}: periodEndDate must be YYYY-MM-DD.");
            }
            else end = DateOnly.FromDateTime(now.AddDays(x.PeriodEndsInDays ?? 30).UtcDateTime);
            var row = new SubRow
            {
                Index = loc.Subs.Count, AdamId = x.AdamId, ParentAdamId = x.ParentAdamId, Name = x.Name, Status = x.Status,
                PeriodEnd = end, BillingPeriodDays = x.BillingPeriodDays,
                TotalRenewing = x.Total?.Renewing ?? 0, TotalExpiring = x.Total?.Expiring ?? 0,
            };
            loc.Subs.Add(row);
            loc.SubById.Add(row.AdamId, row);
        }

        var rows = new List<SubAssignRow>();
        foreach (var x in s.SubscriptionAssignments)
        {
            var sub = loc.SubById.GetValueOrDefault(x.AdamId) ?? throw new InvalidDataException($"{where}: assignment of unknown subscription {x.AdamId}.");
            var u = loc.ActiveUser(x.ClientUserId) ?? throw new InvalidDataException($"{where}: subscription assignment to {x.ClientUserId}, who is not an active user.");
            if (rows.Any(r => r.Sub == sub.Index && r.Cuid == u.Cuid)) throw new InvalidDataException($"{where}: duplicate subscription assignment {x.AdamId} -> {x.ClientUserId}.");
            rows.Add(new SubAssignRow { Sub = sub.Index, Cuid = u.Cuid, Renewing = x.Renewing, ViaGroup = x.ViaGroup });
        }
        // Seats: renewing assignments need renewing seats; expiring ones take expiring seats first, then renewing ones.
        var used = new SubCounts[loc.Subs.Count];
        foreach (var r in rows.Where(r => r.Renewing))
        {
            if (used[r.Sub].UsedRenewing >= loc.Subs[r.Sub].TotalRenewing)
                throw new InvalidDataException($"{where}: subscription {loc.Subs[r.Sub].AdamId} has more renewing assignments than renewing seats ({loc.Subs[r.Sub].TotalRenewing}).");
            r.SeatRenewing = true; used[r.Sub].UsedRenewing++;
        }
        foreach (var r in rows.Where(r => !r.Renewing))
        {
            var sub = loc.Subs[r.Sub];
            if (used[r.Sub].UsedExpiring < sub.TotalExpiring) { r.SeatRenewing = false; used[r.Sub].UsedExpiring++; }
            else if (used[r.Sub].UsedRenewing < sub.TotalRenewing) { r.SeatRenewing = true; used[r.Sub].UsedRenewing++; }
            else throw new InvalidDataException($"{where}: subscription {sub.AdamId} has more assignments than seats.");
        }
        foreach (var r in rows) AddSubAssignLocked(loc, r);

        foreach (var x in s.SubscriptionAdmins)
        {
            var sub = loc.SubById.GetValueOrDefault(x.AdamId) ?? throw new InvalidDataException($"{where}: administrator of unknown subscription {x.AdamId}.");
            var c = loc.CuidOf(x.ClientUserId, false);
            if (c < 0) throw new InvalidDataException($"{where}: subscription administrator {x.ClientUserId} is not a user of the location.");
            if (loc.SubAdmins.Any(a => a.Sub == sub.Index && a.Cuid == c)) throw new InvalidDataException($"{where}: administrator {x.ClientUserId} of {x.AdamId} is listed twice.");
            loc.SubAdmins.Add(new SubAdminRow { Seq = loc.SubAdmins.Count, Sub = sub.Index, Cuid = c });
        }
    }

    // ---------------------------------------------------------------- helpers
    private static void AddSubAssignLocked(SimLocation l, SubAssignRow r)
    {
        r.Seq = l.SubAssigns.Count;
        l.SubAssigns.Add(r);
        l.LiveSubAssign[(r.Sub, r.Cuid)] = r;
    }

    private static void RemoveSubAssignLocked(SimLocation l, SubAssignRow r)
    {
        r.Removed = true;
        r.DeferredEventId = null;
        l.LiveSubAssign.Remove((r.Sub, r.Cuid));
    }

    /// <summary>Counts per subscription index, from one pass over the live assignments.</summary>
    internal static SubCounts[] CountsLocked(SimLocation l)
    {
        var c = new SubCounts[l.Subs.Count];
        foreach (var r in l.LiveSubAssign.Values)
        {
            if (r.Renewing) c[r.Sub].AssignedRenewing++; else c[r.Sub].AssignedExpiring++;
            if (r.SeatRenewing) c[r.Sub].UsedRenewing++; else c[r.Sub].UsedExpiring++;
        }
        return c;
    }

    /// <summary>A subscription exists (for disabling, 9818) while it owns seats.</summary>
    internal static bool SubscriptionsExistLocked(SimLocation l) => l.Subs.Any(s => s.TotalRenewing + s.TotalExpiring > 0);

    /// <summary>The period of a subscription ends at 00:00 UTC of its periodEndDate.</summary>
    internal static DateTimeOffset PeriodEndInstant(SubRow s) => new(s.PeriodEnd.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static SubRow? NextPeriodEndLocked(SimLocation l)
    {
        SubRow? next = null;
        foreach (var s in l.Subs) if (next is null || s.PeriodEnd < next.PeriodEnd) next = s;
        return next;
    }

    internal readonly record struct SubPair(long AdamId, string ClientUserId, bool Renewing);

    // ---------------------------------------------------------------- events
    /// <summary>
    /// POST /subscriptions/associate after validation. Users are served in request order per subscription: a
    /// renewing association takes an available renewing seat; an expiring one an expiring seat, else a renewing
    /// one. A user who holds the subscription keeps the seat (a deferral is cancelled; a change to renewing needs
    /// a renewing seat). Without a suitable seat the user fails with 9709.
    /// </summary>
    internal SimEvent AssociateSubscriptionsLocked(SimLocation l, List<SubRow> subs, List<string> cuids, bool renewing) =>
        CreateEventLocked(l, "ASSOCIATE", subs.Count * cuids.Count, e =>
        {
            var counts = CountsLocked(l);
            var ok = new List<SubPair>();
            var failures = new List<(EventFailure F, List<SubPair> Pairs)>();
            bool changed = false;
            var gone = cuids.Where(c => l.ActiveUser(c) is null).ToList();   // retired while the event waited
            if (gone.Count > 0)
                failures.Add((new EventFailure { ErrorNumber = 9609, ErrorMessage = Msg9609, ClientUserIds = gone },
                    subs.SelectMany(s => gone.Select(c => new SubPair(s.AdamId, c, renewing))).ToList()));
            foreach (var sub in subs)
            {
                ref var n = ref counts[sub.Index];
                var failed = new List<string>();
                foreach (var c in cuids.Except(gone))
                {
                    var cu = l.CuidOf(c, false);
                    int availR = sub.TotalRenewing - n.UsedRenewing, availE = sub.TotalExpiring - n.UsedExpiring;
                    if (l.LiveSubAssign.TryGetValue((sub.Index, cu), out var held))
                    {
                        if (held.ViaGroup) { ok.Add(new(sub.AdamId, c, held.Renewing)); continue; }
                        if (held.Renewing != renewing)
                        {
                            if (renewing && !held.SeatRenewing)
                            {
                                if (availR <= 0) { failed.Add(c); continue; }
                                held.SeatRenewing = true; n.UsedRenewing++; n.UsedExpiring--;
                            }
                            if (renewing) { n.AssignedRenewing++; n.AssignedExpiring--; } else { n.AssignedRenewing--; n.AssignedExpiring++; }
                            held.Renewing = renewing;
                            changed = true;
                        }
                        if (held.DeferredEventId != null) { held.DeferredEventId = null; changed = true; }
                        ok.Add(new(sub.AdamId, c, renewing));
                        continue;
                    }
                    bool seatRenewing;
                    if (renewing && availR > 0) seatRenewing = true;
                    else if (!renewing && availE > 0) seatRenewing = false;
                    else if (!renewing && availR > 0) seatRenewing = true;
                    else { failed.Add(c); continue; }
                    AddSubAssignLocked(l, new SubAssignRow { Sub = sub.Index, Cuid = cu, Renewing = renewing, SeatRenewing = seatRenewing });
                    if (seatRenewing) n.UsedRenewing++; else n.UsedExpiring++;
                    if (renewing) n.AssignedRenewing++; else n.AssignedExpiring++;
                    changed = true;
                    ok.Add(new(sub.AdamId, c, renewing));
                }
                if (failed.Count > 0)
                    failures.Add((new EventFailure { ErrorNumber = 9709, ErrorMessage = Msg9709, ClientUserIds = failed },
                        failed.Select(c => new SubPair(sub.AdamId, c, renewing)).ToList()));
            }
            if (changed) l.NewSubVersion();
            FinishSubscriptionEvent(l, e, ok, failures);
        }, subscription: true);

    /// <summary>
    /// POST /subscriptions/disassociate after validation. Immediate: the seats return to the pool of their license
    /// state now. Deferred: the event completes at once and the assignment stays listed, unchanged, until the period
    /// ends (its SUBSCRIPTION_MANAGEMENT notification is sent then, with this eventId).
    /// </summary>
    internal SimEvent DisassociateSubscriptionsLocked(SimLocation l, List<SubRow> subs, List<string> cuids, bool deferred) =>
        CreateEventLocked(l, "DISASSOCIATE", subs.Count * cuids.Count, e =>
        {
            var removed = new List<SubPair>();
            foreach (var sub in subs)
                foreach (var c in cuids)
                {
                    var cu = l.CuidOf(c, false);
                    if (cu < 0 || !l.LiveSubAssign.TryGetValue((sub.Index, cu), out var held)) continue;   // gone since: nothing to do
                    if (deferred) { held.DeferredEventId ??= e.Id; continue; }
                    RemoveSubAssignLocked(l, held);
                    removed.Add(new(sub.AdamId, c, held.Renewing));
                }
            if (removed.Count > 0) l.NewSubVersion();
            FinishSubscriptionEvent(l, e, deferred ? null : removed, new());
        }, subscription: true, immediate: deferred);

    private void FinishSubscriptionEvent(SimLocation l, SimEvent e, List<SubPair>? ok, List<(EventFailure F, List<SubPair> Pairs)> failures)
    {
        e.NumCompleted = e.NumRequested - failures.Sum(x => x.Pairs.Count);
        e.Failures = failures.Select(x => x.F).ToList();
        if (ok != null) NotifySubscriptions(l, e.Id, e.Type, ok, null);
        foreach (var (f, pairs) in failures) NotifySubscriptions(l, e.Id, e.Type, pairs, f);
    }

    /// <summary>Retiring users releases their subscription seats at once (a DISASSOCIATE notification with the retire event's id).</summary>
    internal void ReleaseSubscriptionSeatsLocked(SimLocation l, SimEvent e, HashSet<int> cuids)
    {
        if (cuids.Count == 0) return;
        var removed = new List<SubPair>();
        foreach (var r in l.SubAssigns)
        {
            if (r.Removed || !cuids.Contains(r.Cuid)) continue;
            RemoveSubAssignLocked(l, r);
            removed.Add(new(l.Subs[r.Sub].AdamId, l.Cuids[r.Cuid], r.Renewing));
        }
        if (removed.Count == 0) return;
        l.NewSubVersion();
        NotifySubscriptions(l, e.Id, "DISASSOCIATE", removed, null);
    }

    /// <summary>
    /// The end of a billing period (§2.10.5): deferred disassociations take effect (notified with their request's
    /// eventId), expiring assignments end, expiring seats vanish (their renewing seats return to the pool),
    /// renewing assignments continue, the period moves on by billingPeriodDays; then SUBSCRIPTION_COUNT.
    /// </summary>
    private void EndPeriodLocked(SimLocation l, SubRow sub)
    {
        var deferred = new Dictionary<string, List<SubPair>>(StringComparer.Ordinal);
        foreach (var r in l.SubAssigns)
        {
            if (r.Removed || r.Sub != sub.Index) continue;
            if (r.DeferredEventId is { } id)
            {
                if (!deferred.TryGetValue(id, out var list)) deferred[id] = list = new();
                list.Add(new(sub.AdamId, l.Cuids[r.Cuid], r.Renewing));
                RemoveSubAssignLocked(l, r);
            }
            else if (!r.Renewing) RemoveSubAssignLocked(l, r);
        }
        sub.TotalExpiring = 0;
        sub.PeriodEnd = sub.PeriodEnd.AddDays(sub.BillingPeriodDays);
        l.NewSubVersion();
        foreach (var (id, pairs) in deferred) NotifySubscriptions(l, id, "DISASSOCIATE", pairs, null);
        NotifySubscriptionCount(l, sub);
    }

    // ---------------------------------------------------------------- notifications
    /// <summary>SUBSCRIPTION_MANAGEMENT, at most 100 assignments each; FAILURE ones carry the error.</summary>
    private void NotifySubscriptions(SimLocation l, string eventId, string type, List<SubPair> pairs, EventFailure? error)
    {
        if (error == null && pairs.Count == 0) return;
        for (int start = 0; start == 0 || start < pairs.Count; start += 100)
        {
            var chunk = pairs.Skip(start).Take(100).ToList();
            Notifier.Enqueue(l, "SUBSCRIPTION_MANAGEMENT", w =>
            {
                w.WritePropertyName("assignments");
                w.WriteStartArray();
                foreach (var p in chunk)
                {
                    w.WriteStartObject();
                    w.WriteNumber("adamId", p.AdamId);
                    w.WriteString("clientUserId", p.ClientUserId);
                    w.WriteBoolean("renewing", p.Renewing);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (error != null) { w.WritePropertyName("error"); AppleApi.WriteFailure(w, error); }
                w.WriteString("eventId", eventId);
                w.WriteString("result", error == null ? "SUCCESS" : "FAILURE");
                w.WriteString("type", type);
            });
        }
    }

    /// <summary>SUBSCRIPTION_COUNT: absolute counts, only available and total.</summary>
    private void NotifySubscriptionCount(SimLocation l, SubRow sub)
    {
        var n = CountsLocked(l)[sub.Index];
        Notifier.Enqueue(l, "SUBSCRIPTION_COUNT", w =>
        {
            if (sub.ParentAdamId is { } p) w.WriteNumber("parentAdamId", p); else w.WriteNull("parentAdamId");
            w.WriteNumber("adamId", sub.AdamId);
            w.WritePropertyName("counts");
            w.WriteStartObject();
            WriteBreakdown(w, "available", sub.TotalRenewing - n.UsedRenewing, sub.TotalExpiring - n.UsedExpiring);
            WriteBreakdown(w, "total", sub.TotalRenewing, sub.TotalExpiring);
            w.WriteEndObject();
        });
    }

    internal static void WriteBreakdown(Utf8JsonWriter w, string name, int renewing, int expiring)
    {
        w.WritePropertyName(name);
        w.WriteStartObject();
        w.WriteNumber("renewing", renewing);
        w.WriteNumber("expiring", expiring);
        w.WriteEndObject();
    }

    // ---------------------------------------------------------------- synchronous writes
    /// <summary>POST /subscriptions/enable and /disable: 9818 when disabling while subscriptions exist.</summary>
    internal void SetSubscriptionManagementLocked(SimLocation l, bool enable)
    {
        if (!enable && SubscriptionsExistLocked(l)) throw new AppleError(9818);
        l.SubscriptionManagement = enable;
    }

    /// <summary>POST /subscriptions/admins/add and /remove: no-ops for existing admins / non-admins; a change makes a new versionId.</summary>
    internal void ChangeSubscriptionAdminsLocked(SimLocation l, List<SubRow> subs, List<string> cuids, bool add)
    {
        bool changed = false;
        foreach (var sub in subs)
            foreach (var c in cuids)
            {
                var cu = l.CuidOf(c, false);
                var row = l.SubAdmins.FirstOrDefault(a => !a.Removed && a.Sub == sub.Index && a.Cuid == cu);
                if (add && row is null) { l.SubAdmins.Add(new SubAdminRow { Seq = l.SubAdmins.Count, Sub = sub.Index, Cuid = cu }); changed = true; }
                else if (!add && row != null) { row.Removed = true; changed = true; }
            }
        if (changed) l.NewSubVersion();
    }

    // ---------------------------------------------------------------- control surface
    /// <summary>
    /// A content manager buys subscription seats (SUBSCRIPTION_COUNT with the new counts). An unknown adamId becomes
    /// a new ACTIVE subscription whose period ends billingPeriodDays (365) from now. Purchases need the location's
    /// subscription management declaration to be enabled (InvalidOperationException otherwise), as Apple says.
    /// </summary>
    public void BuySubscriptionSeats(string location, long adamId, int renewing, int expiring = 0, long? parentAdamId = null)
    {
        if (renewing < 0 || expiring < 0 || renewing + expiring == 0) throw new ArgumentException("Buy a positive number of renewing and/or expiring seats.");
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
        {
            if (l.SubscriptionManagement != true)
                throw new InvalidOperationException($"'{l.LocationName}' has not enabled subscription management, so content managers can't purchase subscriptions into it.");
            if (!l.SubById.TryGetValue(adamId, out var sub))
            {
                if (adamId <= 0) throw new ArgumentException("adamId must be a positive integer.");
                var text = adamId.ToString(CultureInfo.InvariantCulture);
                if (l.Assets.Any(a => a.AdamId == text)) throw new ArgumentException($"{adamId} is an asset of '{l.LocationName}', not a subscription.");
                sub = new SubRow
                {
                    Index = l.Subs.Count, AdamId = adamId, ParentAdamId = parentAdamId,
                    PeriodEnd = DateOnly.FromDateTime(Now.AddDays(365).UtcDateTime),
                };
                l.Subs.Add(sub);
                l.SubById.Add(adamId, sub);
            }
            sub.TotalRenewing += renewing;
            sub.TotalExpiring += expiring;
            l.NewSubVersion();
            NotifySubscriptionCount(l, sub);
        }
    }

    /// <summary>Sets a subscription's status (ACTIVE, INACTIVE or PAUSED); a new subscription versionId, no notification.</summary>
    public void SetSubscriptionStatus(string location, long adamId, string status)
    {
        if (!SubscriptionStatuses.Contains(status)) throw new ArgumentException("status must be ACTIVE, INACTIVE or PAUSED.");
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
        {
            var sub = l.SubById.GetValueOrDefault(adamId) ?? throw new KeyNotFoundException($"No subscription {adamId} in '{l.LocationName}'.");
            sub.Status = status;
            l.NewSubVersion();
        }
    }

    /// <summary>The declaration the location has recorded: true, false or null (unstated).</summary>
    public bool? GetSubscriptionManagement(string location)
    {
        var l = Find(location);
        lock (l.Sync) return l.SubscriptionManagement;
    }

    /// <summary>Subscriptions in the order GET /subscriptions serves them, with their counts.</summary>
    public IReadOnlyList<SimSubscriptionSnapshot> GetSubscriptions(string location)
    {
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
        {
            var c = CountsLocked(l);
            return l.Subs.Select(s => new SimSubscriptionSnapshot(s.AdamId, s.ParentAdamId, s.Name, s.Status, s.PeriodEnd, s.BillingPeriodDays,
                c[s.Index].AssignedRenewing, c[s.Index].AssignedExpiring, s.TotalRenewing - c[s.Index].UsedRenewing,
                s.TotalExpiring - c[s.Index].UsedExpiring, s.TotalRenewing, s.TotalExpiring)).ToList();
        }
    }

    /// <summary>Live subscription assignments in the order GET /subscriptions/assignments serves them.</summary>
    public IReadOnlyList<SimSubscriptionAssignmentSnapshot> GetSubscriptionAssignments(string location)
    {
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
            return l.SubAssigns.Where(r => !r.Removed)
                .Select(r => new SimSubscriptionAssignmentSnapshot(l.Subs[r.Sub].AdamId, l.Cuids[r.Cuid], r.Renewing, r.SeatRenewing, r.ViaGroup, r.DeferredEventId))
                .ToList();
    }

    /// <summary>Subscription administrators in the order GET /subscriptions/admins serves them.</summary>
    public IReadOnlyList<SimSubscriptionAdminSnapshot> GetSubscriptionAdmins(string location)
    {
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
            return l.SubAdmins.Where(a => !a.Removed).Select(a => new SimSubscriptionAdminSnapshot(l.Subs[a.Sub].AdamId, l.Cuids[a.Cuid])).ToList();
    }
}
