using System.Text.Json;
using System.Data.Common;
using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Assignments;

/// <summary>
/// Carries a token's plan out at Apple: VPP users created, licenses taken back, licenses given,
/// VPP users retired, each request packed to Apple's limits and followed to COMPLETE or FAILED.
/// Every write is journaled in pending_operations with its whole body (and the clientUserIds
/// VppPS chose) before it is sent; the state is updated from the event's outcome in the
/// transaction that closes the journal row. A run first finishes the rows an earlier run left
/// open, before it plans anything: a request whose answer never came is sent again with the
/// same body (Apple treats a repeated associate or disassociate as no change; users Apple already
/// has are read back instead of being created or retired again); an event is looked at once,
/// and sent again when it is still PENDING 10 minutes after it was sent (Apple's rule), or else
/// left open, reported once, and its targets left out of the plan until Apple finishes it.
/// </summary>
public sealed class AssignmentApplier
{
    /// <summary>Apple: an event still PENDING this long after the request was sent is to be sent again.</summary>
    public static readonly TimeSpan ResubmitAfter = TimeSpan.FromMinutes(10);

    private const int ProgressId = 4400;
    private readonly VppContext _context;

    public AssignmentApplier(VppContext context) => _context = context;

    /// <summary>
    /// What applying the token's plan would change (Get-VppAssignmentPlan), computed by the apply's own
    /// steps and rolled back (<see cref="AssignmentPlanner.PlanAsApplied"/>): a person whose existing VPP
    /// user holds the license or seat is shown adopted, not given one. A login that may only read gets the
    /// plan before those steps (such a person is shown to be given one, and adopted).
    /// </summary>
    public AssignmentPlan Plan(VppToken token)
    {
        if (_context.Store.ReadOnly) return _context.Store.Read(c => AssignmentPlanner.Plan(c, null, TokenKey(c, token), token.Name));
        var now = _context.Clock.UtcNow.ToStored();
        return _context.Store.Trial((c, t) =>
        {
            var tokenKey = TokenKey(c, token, t);
            return AssignmentPlanner.PlanAsApplied(c, t, tokenKey, now, () => AssignmentPlanner.Plan(c, t, tokenKey, token.Name));
        });
    }

    /// <summary>Applies the token's plan with an open client; <paramref name="refreshCounts"/> re-reads Apple's license counts first.</summary>
    public async Task<ApplyResult> ApplyAsync(VppToken token, AppleClient client, bool refreshCounts, CancellationToken cancellationToken)
    {
        TokenService.EnsureWritable(token);
        var tokenKey = _context.Store.Read(c => TokenKey(c, token));
        var requestsBefore = client.RequestCount;
        // Requests finished now changed Apple's counts after they were last read.
        if (await FinishPendingAsync(client, tokenKey, cancellationToken).ConfigureAwait(false)) refreshCounts = true;
        if (refreshCounts) await RefreshCountsAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
        var limits = await client.GetLimitsAsync(cancellationToken).ConfigureAwait(false);

        _context.Store.Write((c, t) => AssignmentPlanner.PrepareToPlan(c, t, tokenKey));
        var plan = _context.Store.Read(c => AssignmentPlanner.Plan(c, null, tokenKey, token.Name, fromChanges: true));
        var counts = new Counts();
        AssignmentPlan Replan(AssignmentPlan last) => _context.Store.Read(c => AssignmentPlanner.Plan(c, null, tokenKey, token.Name, fromChanges: last.Incremental));
        plan = AssignmentPlanner.AdoptExistingUsers(plan, users => _context.Store.Write((c, t) => RecordAdopted(c, t, tokenKey, users, counts)), Replan);
        if (plan.UsersToCreate.Count > 0)
        {
            await CreateUsersAsync(client, tokenKey, plan.UsersToCreate, limits, counts, cancellationToken).ConfigureAwait(false);
            plan = Replan(plan);
        }

        var heldBack = HoldBack(plan, tokenKey, token.Name);
        var requests = PackDisassociations(plan.Disassociations, limits);
        // Targets wanting the same set of assets share requests: 25 apps for 100,000 devices take 100 calls, not 2,500.
        var associations = plan.Associations.Where(a => a.Target is not null).ToList();
        foreach (var sameAssets in associations.GroupBy(a => (a.TargetKind, a.Target!)).GroupBy(t => string.Join(",", t.Select(x => x.AssetKey).Order())))
        {
            var assets = sameAssets.First().Select(x => new RequestAsset { AdamId = x.AdamId, PricingParam = x.PricingParam }).ToList();
            var changes = sameAssets.SelectMany(t => t).ToList();
            foreach (var request in Pack(assets, changes, limits))
                requests.Add((PendingOperations.Associate, request.Request, request.Changes));
        }

        await SendAsync(client, tokenKey, token.Name, requests, counts, cancellationToken).ConfigureAwait(false);
        await SendSeatsAsync(client, tokenKey, token.Name, PackSeats(plan.SeatDisassociations, plan.SeatAssociations.Where(a => a.ClientUserId is not null), limits),
            counts, cancellationToken).ConfigureAwait(false);

        foreach (var user in plan.UsersToRetire)
            if (user.SeatWarning(token.Name) is { } warning) _context.Observer.Warning(warning);
        if (plan.UsersToRetire.Count > 0) await RetireUsersAsync(client, tokenKey, plan.UsersToRetire, limits, counts, cancellationToken).ConfigureAwait(false);
        // Anything left undone (failed, waiting, still running at Apple) makes the next plan look at everything.
        var open = _context.Store.Read(c => PendingOperations.Open(c, null, tokenKey).Count);
        var complete = counts.Failed == 0 && open == 0 && plan.Waiting.Count == 0 && heldBack == 0 && plan.UsersToCreate.Count == counts.Created;
        _context.Store.Write((c, t) => AssignmentPlanner.RecordPlanned(c, t, tokenKey, plan.PlannedSeq, complete, plan.FullPlanRequests));
        var result = new ApplyResult
        {
            Token = token.Name,
            UsersCreated = counts.Created,
            UsersAdopted = counts.Adopted,
            UsersRetired = counts.Retired,
            Associated = counts.Associated,
            Disassociated = counts.Disassociated,
            SeatsAssociated = counts.SeatsAssociated,
            SeatsDisassociated = counts.SeatsDisassociated,
            Failed = counts.Failed,
            FailedTargets = counts.FailedTargets,
            Waiting = plan.Waiting.Count + plan.SeatWaiting.Count,
            WaitingByAsset = plan.Waiting.Select(w => (w.AdamId, w.PricingParam)).Concat(plan.SeatWaiting.Select(w => (w.AdamId, ""))).GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count()),
            HeldBack = heldBack,
            Requests = (int)(client.RequestCount - requestsBefore),
        };
        if (result.Changed || result.Failed > 0)
            _context.Store.Write((c, t) => _context.Journal.Write(c, t, "token:" + token.Name, "Apply",
                $"assignments applied: {result.Associated} licenses given, {result.Disassociated} taken back, " +
                (result.SeatsAssociated + result.SeatsDisassociated > 0 ? $"{result.SeatsAssociated} subscription seats given, {result.SeatsDisassociated} taken back, " : "") +
                $"{result.UsersCreated} VPP users created, {result.UsersAdopted} adopted, " +
                $"{result.UsersRetired} retired, {result.Failed} failed, {result.Waiting} waiting for licenses, {result.Requests} requests"));
        return result;
    }

    /// <summary>Takes licenses back now (Remove-VppAppLicense), outside any plan, after finishing what earlier runs left open.</summary>
    public Task<ApplyResult> ReclaimAsync(VppToken token, AppleClient client, IReadOnlyList<LicenseChange> changes, CancellationToken cancellationToken) =>
        ReclaimNowAsync(token, client, (tokenKey, limits, counts) =>
            SendAsync(client, tokenKey, token.Name, PackDisassociations(changes, limits), counts, cancellationToken), cancellationToken);

    /// <summary>Takes subscription seats back now (Remove-VppAppLicense), outside any plan, after finishing what earlier runs left open.</summary>
    public Task<ApplyResult> ReclaimSeatsAsync(VppToken token, AppleClient client, IReadOnlyList<SeatChange> changes, CancellationToken cancellationToken) =>
        ReclaimNowAsync(token, client, (tokenKey, limits, counts) =>
            SendSeatsAsync(client, tokenKey, token.Name, PackSeats(changes, [], limits), counts, cancellationToken), cancellationToken);

    /// <summary>What a reclaim outside any plan does around its requests: what earlier runs left open is finished first, with Apple's limits read.</summary>
    private async Task<ApplyResult> ReclaimNowAsync(VppToken token, AppleClient client, Func<long, AppleLimits, Counts, Task> send, CancellationToken cancellationToken)
    {
        TokenService.EnsureWritable(token);
        var tokenKey = _context.Store.Read(c => TokenKey(c, token));
        var requestsBefore = client.RequestCount;
        await FinishPendingAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
        var limits = await client.GetLimitsAsync(cancellationToken).ConfigureAwait(false);
        var counts = new Counts();
        await send(tokenKey, limits, counts).ConfigureAwait(false);
        return new ApplyResult
        {
            Token = token.Name, Disassociated = counts.Disassociated, SeatsDisassociated = counts.SeatsDisassociated,
            Failed = counts.Failed, Requests = (int)(client.RequestCount - requestsBefore),
        };
    }

    /// <summary>
    /// Takes out of the plan the changes whose target Apple refused with an error that asks to
    /// wait (<see cref="TargetBackoff"/>) until that wait is over, says so once per run, and
    /// returns how many were held back.
    /// </summary>
    private int HoldBack(AssignmentPlan plan, long tokenKey, string tokenName)
    {
        var now = _context.Clock.UtcNow;
        var waiting = _context.Store.Read(c => TargetBackoff.Waiting(c, null, tokenKey, now));
        if (waiting.Count == 0) return 0;
        var held = new List<(string Change, DateTimeOffset Until, int ErrorNumber)>();
        foreach (var list in new[] { plan.Associations, plan.Disassociations })
            list.RemoveAll(change =>
            {
                if (change.Target is null || !waiting.TryGetValue((change.AdamId, change.PricingParam, change.TargetKind, change.Target), out var wait)) return false;
                held.Add(($"{change.AppName ?? change.AdamId} for {change.Display}", wait.Until, wait.ErrorNumber));
                return true;
            });
        foreach (var list in new[] { plan.SeatAssociations, plan.SeatDisassociations })
            list.RemoveAll(change =>
            {
                if (change.ClientUserId is null || !waiting.TryGetValue((change.AdamId, "", 0, change.ClientUserId), out var wait)) return false;
                held.Add(($"a seat of {change.Subscription ?? change.AdamId} for {change.Display}", wait.Until, wait.ErrorNumber));
                return true;
            });
        foreach (var byError in held.GroupBy(h => h.ErrorNumber))
            _context.Observer.Warning($"{byError.Count()} license change(s) under '{tokenName}' are held back ({string.Join(", ", byError.Select(h => h.Change).Distinct().Take(5))}" +
                $"{(byError.Count() > 5 ? ", ..." : "")}): {TargetBackoff.Reason(byError.Key)}. VppPS sends them again at the first sync or assignment after " +
                $"{byError.Max(h => h.Until).ToLocalTime():yyyy-MM-dd HH:mm}.");
        return held.Count;
    }

    private static List<(string Kind, ManageAssetsRequest Request, IReadOnlyList<LicenseChange> Changes)> PackDisassociations(IReadOnlyList<LicenseChange> changes, AppleLimits limits)
    {
        var requests = new List<(string, ManageAssetsRequest, IReadOnlyList<LicenseChange>)>();
        foreach (var asset in changes.GroupBy(d => (d.AdamId, d.PricingParam)))
            foreach (var request in Pack([new RequestAsset { AdamId = asset.Key.AdamId, PricingParam = asset.Key.PricingParam }], asset.ToList(), limits))
                requests.Add((PendingOperations.Disassociate, request.Request, request.Changes));
        return requests;
    }

    private async Task SendAsync(AppleClient client, long tokenKey, string tokenName, List<(string Kind, ManageAssetsRequest Request, IReadOnlyList<LicenseChange> Changes)> requests,
        Counts counts, CancellationToken cancellationToken)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            var (kind, request, changes) = requests[i];
            _context.Observer.Progress(ProgressId, $"Applying assignments under {tokenName}", $"{kind} request {i + 1} of {requests.Count}", i * 100 / requests.Count);
            try
            {
                await RunAsync(client, tokenKey, kind, AssetsPayload.From(request, changes).Write(), counts, cancellationToken).ConfigureAwait(false);
            }
            catch (VppException e) when (TargetBackoff.For(e.AppleErrorNumber) is { } wait)
            {
                // Apple did nothing and asks to wait: these targets wait, the other requests go on.
                var now = _context.Clock.UtcNow;
                _context.Store.Write((c, t) =>
                {
                    TargetBackoff.Record(c, t, tokenKey, changes.Select(PendingChange.From), e.AppleErrorNumber!.Value, e.Message, now);
                    AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
                });
                counts.Fail(changes.Select(x => (x.AdamId, x.TargetKind, x.Target!)));
                _context.Observer.Warning($"{e.Message} The {changes.Count} license change(s) of that request wait until " +
                    $"{(now + wait).ToLocalTime():yyyy-MM-dd HH:mm} and are not sent again before.");
            }
        }
        if (requests.Count > 0) _context.Observer.Progress(ProgressId, $"Applying assignments under {tokenName}", "done", 100, completed: true);
    }

    // ---------------------------------------------------------------- subscription seats

    /// <summary>
    /// Seat requests: one subscription each, users up to Apple's maxSubscriptionClientUserIds; reclaims
    /// first (those at once free seats), then associations, split by renewal (or deferral).
    /// </summary>
    private static List<(string Kind, SeatsPayload Payload)> PackSeats(IEnumerable<SeatChange> disassociations, IEnumerable<SeatChange> associations, AppleLimits limits)
    {
        var size = Math.Max(1, limits.MaxSubscriptionClientUserIds);
        var requests = new List<(string, SeatsPayload)>();
        foreach (var group in disassociations.Where(d => d.ClientUserId is not null).GroupBy(d => (d.AdamId, d.Deferred)))
            foreach (var chunk in group.Chunk(size))
                requests.Add((PendingOperations.DisassociateSeats, new SeatsPayload(group.Key.AdamId, null, group.Key.Deferred,
                    chunk.Select(x => new PendingSeat(x.ClientUserId!, x.AssignmentId, x.Reason)).ToList())));
        foreach (var group in associations.Where(a => a.ClientUserId is not null).GroupBy(a => (a.AdamId, a.Renewing)))
            foreach (var chunk in group.Chunk(size))
                requests.Add((PendingOperations.AssociateSeats, new SeatsPayload(group.Key.AdamId, group.Key.Renewing, null,
                    chunk.Select(x => new PendingSeat(x.ClientUserId!, x.AssignmentId, x.Reason)).ToList())));
        return requests;
    }

    private async Task SendSeatsAsync(AppleClient client, long tokenKey, string tokenName, List<(string Kind, SeatsPayload Payload)> requests, Counts counts, CancellationToken cancellationToken)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            _context.Observer.Progress(ProgressId, $"Applying assignments under {tokenName}", $"subscription seat request {i + 1} of {requests.Count}", i * 100 / requests.Count);
            await SendSeatRequestAsync(client, tokenKey, requests[i].Kind, requests[i].Payload, counts, cancellationToken).ConfigureAwait(false);
        }
        if (requests.Count > 0) _context.Observer.Progress(ProgressId, $"Applying assignments under {tokenName}", "done", 100, completed: true);
    }

    /// <summary>
    /// One seat request, journaled and followed like the others. Apple checks seat requests whole and
    /// applies nothing when it refuses one (spec 2.10.4), without saying which user it refused: a
    /// request refused for its users (9814 not an active user, 9817 a seat from a group in Apple
    /// Business / Apple School Manager) goes again as two halves, so that the users Apple refuses
    /// are found in a few requests and the others get their change. A user refused alone waits
    /// (<see cref="TargetBackoff"/>). 9815 (a user no longer holds the seat): Apple's holders are
    /// read, those who no longer hold it are done, the rest is sent again. 9816 (or 9805, its number
    /// before 2026-08-13): Apple's limits were lowered since they were read; service/config is read
    /// anew and the request goes again in requests within the new limits (in halves when they did
    /// not change); one seat refused so is an error that says so.
    /// </summary>
    private async Task SendSeatRequestAsync(AppleClient client, long tokenKey, string kind, SeatsPayload payload, Counts counts, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(client, tokenKey, kind, payload.Write(), counts, cancellationToken).ConfigureAwait(false);
        }
        catch (VppException e) when (e.AppleErrorNumber == AppleErrorNumbers.SubscriptionNotAssigned && kind == PendingOperations.DisassociateSeats)
        {
            var holders = await ReadHoldersAsync(client, payload.AdamId, cancellationToken).ConfigureAwait(false);
            var done = payload.Seats.Where(s => !holders.Contains(s.ClientUserId)).ToList();
            if (done.Count == 0) throw;
            _context.Store.Write((c, t) => RecordSeats(c, t, tokenKey, kind, payload with { Deferred = false, Seats = done }, Completed, counts));
            var rest = payload.Seats.Except(done).ToList();
            if (rest.Count > 0) await SendSeatRequestAsync(client, tokenKey, kind, payload with { Seats = rest }, counts, cancellationToken).ConfigureAwait(false);
        }
        catch (VppException e) when (e.AppleErrorNumber is AppleErrorNumbers.SubscriptionLimitExceeded or AppleErrorNumbers.SubscriptionLimitExceededOld)
        {
            var limits = await client.RefreshLimitsAsync(cancellationToken).ConfigureAwait(false);
            var size = Math.Max(1, limits.MaxSubscriptionClientUserIds);
            if (payload.Seats.Count == 1)
                throw new VppException(VppErrorKind.AppleError, "VppSubscriptionLimitExceeded",
                    $"Apple refused a request for one seat of {payload.AdamId} for {payload.Seats[0].ClientUserId} as beyond its limits (Apple error {e.AppleErrorNumber}), " +
                    $"also after VppPS read the limits anew (maxSubscriptions {limits.MaxSubscriptions}, maxSubscriptionClientUserIds {limits.MaxSubscriptionClientUserIds}). " +
                    "Apple's limits allow no request now: run Sync-VppToken later; the seat is given then.", payload.AdamId, e) { AppleErrorNumber = e.AppleErrorNumber };
            var parts = size < payload.Seats.Count ? payload.Seats.Chunk(size).Select(c => c.ToList()).ToList()
                : [payload.Seats.Take(payload.Seats.Count / 2).ToList(), payload.Seats.Skip(payload.Seats.Count / 2).ToList()];
            _context.Observer.Verbose($"Apple refused a request for {payload.Seats.Count} seat(s) of {payload.AdamId} as beyond its limits ({e.AppleErrorNumber}) and applied none of it; " +
                $"read the limits anew (maxSubscriptionClientUserIds {limits.MaxSubscriptionClientUserIds}) and sending it again in {parts.Count} requests.");
            foreach (var part in parts)
                await SendSeatRequestAsync(client, tokenKey, kind, payload with { Seats = part }, counts, cancellationToken).ConfigureAwait(false);
        }
        catch (VppException e) when (payload.Seats.Count > 1 && e.AppleErrorNumber is AppleErrorNumbers.SubscriptionUserNotFound or AppleErrorNumbers.SubscriptionViaGroup)
        {
            var half = payload.Seats.Count / 2;
            _context.Observer.Verbose($"Apple refused a request for {payload.Seats.Count} seat(s) of {payload.AdamId} ({e.AppleErrorNumber}) and applied none of it; sending it again in two halves.");
            await SendSeatRequestAsync(client, tokenKey, kind, payload with { Seats = payload.Seats.Take(half).ToList() }, counts, cancellationToken).ConfigureAwait(false);
            await SendSeatRequestAsync(client, tokenKey, kind, payload with { Seats = payload.Seats.Skip(half).ToList() }, counts, cancellationToken).ConfigureAwait(false);
        }
        catch (VppException e) when (TargetBackoff.For(e.AppleErrorNumber) is { } wait)
        {
            var now = _context.Clock.UtcNow;
            _context.Store.Write((c, t) =>
            {
                TargetBackoff.Record(c, t, tokenKey, payload.Seats.Select(s => new PendingChange(payload.AdamId, "", 0, s.ClientUserId, s.AssignmentId, s.Reason)),
                    e.AppleErrorNumber!.Value, e.Message, now);
                AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
            });
            counts.Fail(payload.Seats.Select(x => (payload.AdamId, 0, x.ClientUserId)));
            _context.Observer.Warning($"{e.Message} The seat of {payload.AdamId} for {string.Join(", ", payload.Seats.Select(s => s.ClientUserId))} " +
                $"is not {(kind == PendingOperations.AssociateSeats ? "given" : "taken back")}, and VppPS does not ask again before {(now + wait).ToLocalTime():yyyy-MM-dd HH:mm}.");
        }
    }

    private static readonly StatusResponse Completed = new() { EventStatus = "COMPLETE" };

    /// <summary>Who holds a seat of the subscription at Apple now.</summary>
    private static async Task<HashSet<string>> ReadHoldersAsync(AppleClient client, string adamId, CancellationToken cancellationToken)
    {
        var read = await client.ReadAllSubscriptionAssignmentsAsync(new SubscriptionQuery { AdamIds = [adamId] }, null, cancellationToken).ConfigureAwait(false);
        return read.Items.Where(a => a.AdamId == adamId && a.ClientUserId is not null).Select(a => a.ClientUserId!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Before a seat reclaim goes out again: users Apple no longer lists as holders are recorded as
    /// done (sending them again would make Apple refuse the whole request, 9815); the row keeps the
    /// rest. Returns what is left to send, or null when nothing is (the row is then closed).
    /// </summary>
    private async Task<PendingOperation?> ReadBackSeatsAsync(AppleClient client, long tokenKey, PendingOperation operation, CancellationToken cancellationToken)
    {
        var payload = SeatsPayload.Read(operation.Payload);
        var holders = await ReadHoldersAsync(client, payload.AdamId, cancellationToken).ConfigureAwait(false);
        var done = payload.Seats.Where(s => !holders.Contains(s.ClientUserId)).ToList();
        var rest = payload with { Seats = payload.Seats.Except(done).ToList() };
        _context.Store.Write((c, t) =>
        {
            if (done.Count > 0) RecordSeats(c, t, tokenKey, operation.Kind, payload with { Deferred = false, Seats = done }, Completed, null);
            if (rest.Seats.Count == 0) PendingOperations.Close(c, t, operation.Id, "done", _context.Clock.UtcNow);
            else if (done.Count > 0) PendingOperations.Narrow(c, t, operation.Id, rest.Write());
        });
        if (done.Count > 0)
            _context.Observer.Verbose($"Apple no longer lists {done.Count} of the {payload.Seats.Count} user(s) of an earlier {Describe(operation)} as holders: recorded, not sent again.");
        return rest.Seats.Count == 0 ? null : operation with { Payload = rest.Write() };
    }

    /// <summary>
    /// Brings the state in line with a seat event's outcome: seats given are listed and VppPS's own
    /// (a pending reclaim cancelled), seats taken back at once are gone, seats taken back deferred
    /// are marked as ending at the period end (Apple lists them until then); what failed is
    /// recorded to show in the plan and retry.
    /// </summary>
    private void RecordSeats(DbConnection c, DbTransaction t, long tokenKey, string kind, SeatsPayload payload, StatusResponse status, Counts? counts)
    {
        _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // a run whose lease was taken over records nothing
        var failed = new Dictionary<string, AppleErrorBody>(StringComparer.Ordinal);
        foreach (var failure in status.Failures ?? [])
            foreach (var user in failure.ErrorInfo?.ClientUserIds ?? [])
                failed[user] = failure;
        var now = _context.Clock.UtcNow.ToStored();
        if (failed.Count > 0)
        {
            var changes = payload.Seats.Where(s => failed.ContainsKey(s.ClientUserId)).ToList();
            foreach (var failure in changes.GroupBy(s => failed[s.ClientUserId]))
                TargetBackoff.Record(c, t, tokenKey, failure.Select(s => new PendingChange(payload.AdamId, "", 0, s.ClientUserId, s.AssignmentId, s.Reason)),
                    failure.Key.ErrorNumber, failure.Key.ErrorMessage, _context.Clock.UtcNow);
        }
        if (failed.Count > 0 || counts is null) AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        var succeeded = 0;
        foreach (var seat in payload.Seats)
        {
            if (failed.ContainsKey(seat.ClientUserId)) continue;
            succeeded++;
            var key = new (string, object?)[] { ("$k", tokenKey), ("$a", payload.AdamId), ("$u", seat.ClientUserId), ("$s", seat.AssignmentId), ("$r", payload.Renewing == false ? 0L : 1L),
                ("$why", seat.Reason), ("$now", now) };
            ManagedLicenses.ClearSeatFailure(c, t, key);
            if (kind == PendingOperations.AssociateSeats)
            {
                ManagedLicenses.SeatGiven(c, t, key);
                Subscriptions.SubscriptionStore.SeatGiven(c, t, tokenKey, payload.AdamId, seat.ClientUserId, payload.Renewing != false);
            }
            else if (payload.Deferred == true)
                // Kept by Apple until the period end; a seat VppPS did not give is recorded too, so that it shows as ending.
                ManagedLicenses.SeatEnding(c, t, key);
            else
            {
                ManagedLicenses.SeatTaken(c, t, key);
                Subscriptions.SubscriptionStore.SeatTaken(c, t, tokenKey, payload.AdamId, seat.ClientUserId);
            }
        }
        if (counts is null) return;
        counts.Fail(failed.Keys.Select(user => (payload.AdamId, 0, user)));
        if (kind == PendingOperations.AssociateSeats) counts.SeatsAssociated += succeeded;
        else counts.SeatsDisassociated += succeeded;
    }

    private sealed class Counts
    {
        public int Associated;
        public int Disassociated;
        public int SeatsAssociated;
        public int SeatsDisassociated;
        public int Failed;
        /// <summary>The targets of the failed changes: a targeted command counts only its own.</summary>
        public readonly List<(string AdamId, int TargetKind, string Target)> FailedTargets = [];
        public int Created;
        public int Adopted;
        public int Retired;
        public void Fail(IEnumerable<(string AdamId, int TargetKind, string Target)> targets)
        {
            var before = FailedTargets.Count;
            FailedTargets.AddRange(targets);
            Failed += FailedTargets.Count - before;
        }

        /// <summary>A fresh request of this run stayed PENDING for all of <see cref="ResubmitAfter"/>: the rest get one look.</summary>
        public bool WaitedOut;
    }

    private static IEnumerable<(ManageAssetsRequest Request, IReadOnlyList<LicenseChange> Changes)> Pack(
        IReadOnlyList<RequestAsset> assets, IReadOnlyList<LicenseChange> changes, AppleLimits limits)
    {
        var byTarget = changes.ToLookup(c => (c.TargetKind, c.Target!));
        var users = changes.Where(c => c.TargetKind == 0).Select(c => c.Target!).Distinct().ToList();
        var devices = changes.Where(c => c.TargetKind == 1).Select(c => c.Target!).Distinct().ToList();
        foreach (var request in AppleRequestBatcher.PackManageAssets(assets, users, devices, limits))
        {
            var inRequest = request.Assets.Select(a => a.AdamId).ToHashSet();
            var targets = (request.ClientUserIds ?? []).Select(u => (0, u)).Concat((request.SerialNumbers ?? []).Select(s => (1, s)));
            yield return (request, targets.SelectMany(t => byTarget[t]).Where(c => inRequest.Contains(c.AdamId)).ToList());
        }
    }

    // ---------------------------------------------------------------- one request, journaled

    /// <summary>Journals a new request, then sends it and follows its event (see <see cref="SubmitAsync"/>).</summary>
    private async Task RunAsync(AppleClient client, long tokenKey, string kind, string payload, Counts counts, CancellationToken cancellationToken)
    {
        var now = _context.Clock.UtcNow;
        var id = _context.Store.Write((c, t) =>
        {
            _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // nothing is sent once another run took the token over
            return PendingOperations.Add(c, t, tokenKey, kind, payload, now);
        });
        // Once one request of this run waited out its limit, the rest get one look: no run waits 10 minutes a request.
        await SubmitAsync(client, tokenKey, new PendingOperation(id, kind, payload, null, "submitting", now), wait: !counts.WaitedOut, counts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a journaled request (again), records its event id, and follows the event: with
    /// <paramref name="wait"/> until it ends or is <see cref="ResubmitAfter"/> old, else one look.
    /// An event that ends is recorded and its row closed in one transaction; one still running
    /// stays open for a later run (and, when it was waited on, the rest of the run waits on no
    /// other: <see cref="Counts.WaitedOut"/>). Returns whether it ended.
    /// </summary>
    private async Task<bool> SubmitAsync(AppleClient client, long tokenKey, PendingOperation operation, bool wait, Counts? counts, CancellationToken cancellationToken)
    {
        EventResponse submitted;
        try
        {
            submitted = await PostAsync(client, operation, cancellationToken).ConfigureAwait(false);
        }
        catch (VppException e) when (e.AppleErrorNumber is not null && !MayHaveApplied(e))
        {
            // Apple refused the request with an error instead of an event: it did nothing, there is nothing to send again.
            // An internal error or an unavailable service (9603, 9644, 9729, 5xx) is no such refusal: Apple may have
            // applied the request, so the row stays open and the next run sends it again.
            _context.Store.Write((c, t) => PendingOperations.Close(c, t, operation.Id, "refused", _context.Clock.UtcNow));
            throw;
        }
        var sentAt = _context.Clock.UtcNow;
        _context.Store.Write((c, t) => PendingOperations.Submitted(c, t, operation.Id, submitted.EventId, sentAt));
        operation = operation with { EventId = submitted.EventId, SubmittedAt = sentAt };
        var status = await client.PollEventAsync(submitted.EventId, wait ? sentAt + ResubmitAfter : sentAt, cancellationToken).ConfigureAwait(false);
        if (status.IsPending)
        {
            if (wait && counts is not null) counts.WaitedOut = true;
            LeaveOpen(operation, status);
            return false;
        }
        Close(tokenKey, operation, status, counts);
        return true;
    }

    /// <summary>
    /// Whether Apple may have applied a request it answered with this error: an internal error or
    /// an unavailable service (after the client's retries), unlike a refusal of the request
    /// (a 4xx error, too many requests, the same request sent too often), which applies nothing.
    /// </summary>
    private static bool MayHaveApplied(VppException e) =>
        e.Kind == VppErrorKind.ServiceUnavailable && e.AppleErrorNumber is not (AppleErrorNumbers.TooManyRequests or AppleErrorNumbers.RepeatedTooOften);

    private static Task<EventResponse> PostAsync(AppleClient client, PendingOperation operation, CancellationToken cancellationToken) => operation.Kind switch
    {
        PendingOperations.Associate => client.AssociateAssetsAsync(AssetsPayload.Read(operation.Payload).Request(), cancellationToken),
        PendingOperations.Disassociate => client.DisassociateAssetsAsync(AssetsPayload.Read(operation.Payload).Request(), cancellationToken),
        PendingOperations.CreateUsers => client.CreateUsersAsync(UsersPayload.Read(operation.Payload).Request(contact: true), cancellationToken),
        PendingOperations.RetireUsers => client.RetireUsersAsync(UsersPayload.Read(operation.Payload).Request(contact: false), cancellationToken),
        PendingOperations.AssociateSeats => client.AssociateSubscriptionsAsync(SeatsPayload.Read(operation.Payload).Request(), cancellationToken),
        PendingOperations.DisassociateSeats => client.DisassociateSubscriptionsAsync(SeatsPayload.Read(operation.Payload).Request(), cancellationToken),
        _ => throw new InvalidOperationException($"Unknown pending operation kind '{operation.Kind}'."),
    };

    /// <summary>Records what the event did and closes the journal row, in one transaction.</summary>
    private void Close(long tokenKey, PendingOperation operation, StatusResponse status, Counts? counts)
    {
        var failures = status.Failures ?? [];
        if (operation.Kind == PendingOperations.CreateUsers)
        {
            var users = UsersPayload.Read(operation.Payload).Users;
            // 9716: a user with this clientUserId exists already. The id is VppPS's own: an earlier send created it.
            var failed = failures.Where(f => f.ErrorNumber != AppleErrorNumbers.UserAlreadyExists).SelectMany(f => f.ErrorInfo?.ClientUserIds ?? []).ToHashSet();
            var byId = users.ToDictionary(u => u.ClientUserId);
            foreach (var failure in failures.Where(f => f.ErrorNumber != AppleErrorNumbers.UserAlreadyExists))
                _context.Observer.Warning($"Apple could not create VPP users ({failure.ErrorNumber} {failure.ErrorMessage}): {string.Join(", ", (failure.ErrorInfo?.ClientUserIds ?? []).Select(id => byId.TryGetValue(id, out var p) ? p.UserPrincipalName : id))}. They are tried again at the next sync.");
            _context.Store.Write((c, t) =>
            {
                RecordCreated(c, t, tokenKey, users.Where(u => !failed.Contains(u.ClientUserId)).ToList(), null, counts);
                PendingOperations.Close(c, t, operation.Id, "done", _context.Clock.UtcNow);
            });
        }
        else if (operation.Kind == PendingOperations.RetireUsers)
        {
            // 9618: already retired, by an earlier send; 9609: Apple knows no such active user any more. Either way, nothing left to retire.
            var failed = failures.Where(f => f.ErrorNumber is not (AppleErrorNumbers.UserAlreadyRetired or AppleErrorNumbers.RegisteredUserNotFound))
                .SelectMany(f => f.ErrorInfo?.ClientUserIds ?? []).ToHashSet();
            _context.Store.Write((c, t) =>
            {
                RecordRetired(c, t, tokenKey, UsersPayload.Read(operation.Payload).Users.Where(u => !failed.Contains(u.ClientUserId)).ToList(), counts);
                PendingOperations.Close(c, t, operation.Id, "done", _context.Clock.UtcNow);
            });
        }
        else if (operation.Kind is PendingOperations.AssociateSeats or PendingOperations.DisassociateSeats)
            _context.Store.Write((c, t) =>
            {
                RecordSeats(c, t, tokenKey, operation.Kind, SeatsPayload.Read(operation.Payload), status, counts);
                PendingOperations.Close(c, t, operation.Id, "done", _context.Clock.UtcNow);
            });
        else
            _context.Store.Write((c, t) =>
            {
                RecordLicenses(c, t, tokenKey, operation.Kind, AssetsPayload.Read(operation.Payload).Changes, status, counts);
                PendingOperations.Close(c, t, operation.Id, "done", _context.Clock.UtcNow);
            });
    }

    /// <summary>An event Apple has not finished: the row stays open; the user is told once.</summary>
    private void LeaveOpen(PendingOperation operation, StatusResponse status)
    {
        var first = _context.Store.Write((c, t) => PendingOperations.MarkPending(c, t, operation.Id));
        var message = $"Apple has not finished the {Describe(operation)} sent at {operation.SubmittedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} " +
                      $"(event {operation.EventId}, {status.NumCompleted} of {status.NumRequested} done). VppPS leaves those targets alone until Apple finishes it, " +
                      $"and sends the request again at the next sync or assignment once it is still pending {ResubmitAfter.TotalMinutes:0} minutes after it was sent.";
        if (first) _context.Observer.Warning(message);
        else _context.Observer.Verbose(message);
    }

    private static string Describe(PendingOperation operation) => operation.Kind switch
    {
        PendingOperations.Associate or PendingOperations.Disassociate =>
            $"request to {(operation.Kind == PendingOperations.Associate ? "give" : "take back")} {AssetsPayload.Read(operation.Payload).Changes.Count} license(s)",
        PendingOperations.CreateUsers => $"request to create {UsersPayload.Read(operation.Payload).Users.Count} VPP user(s)",
        PendingOperations.RetireUsers => $"request to retire {UsersPayload.Read(operation.Payload).Users.Count} VPP user(s)",
        PendingOperations.AssociateSeats => $"request to give {SeatsPayload.Read(operation.Payload).Seats.Count} subscription seat(s)",
        PendingOperations.DisassociateSeats => $"request to take back {SeatsPayload.Read(operation.Payload).Seats.Count} subscription seat(s)",
        _ => $"{operation.Kind} request",
    };

    // ---------------------------------------------------------------- what earlier runs left open

    /// <summary>
    /// Finishes the requests earlier runs left open, oldest first, before anything is planned.
    /// Returns whether any ended (Apple's counts then differ from those last read).
    /// </summary>
    private async Task<bool> FinishPendingAsync(AppleClient client, long tokenKey, CancellationToken cancellationToken)
    {
        var open = _context.Store.Read(c => PendingOperations.Open(c, null, tokenKey));
        var ended = false;
        foreach (var found in open)
        {
            var operation = found;
            if (operation.Kind is not (PendingOperations.Associate or PendingOperations.Disassociate or PendingOperations.CreateUsers or PendingOperations.RetireUsers
                or PendingOperations.AssociateSeats or PendingOperations.DisassociateSeats))
            {
                _context.Observer.Verbose($"Leaving pending operation {operation.Id} ({operation.Kind}) alone: this version of VppPS does not know that kind.");
                continue;
            }
            var wait = true;
            if (operation.EventId is { } eventId)
            {
                // One look: an event Apple has not finished never holds this run up.
                StatusResponse? status = null;
                try
                {
                    status = await client.PollEventAsync(eventId, DateTimeOffset.MinValue, cancellationToken).ConfigureAwait(false);
                }
                catch (VppException e) when (e.AppleErrorNumber == AppleErrorNumbers.UnknownEvent)
                {
                    _context.Observer.Verbose($"Apple no longer knows event {eventId} of an earlier {Describe(operation)}; sending the request again.");
                }
                if (status is { IsPending: false })
                {
                    _context.Observer.Verbose($"Following up {operation.Kind} event {eventId} left by an earlier run.");
                    Close(tokenKey, operation, status, null);
                    ended = true;
                    continue;
                }
                if (status is not null && _context.Clock.UtcNow - operation.SubmittedAt < ResubmitAfter)
                {
                    LeaveOpen(operation, status);
                    continue;
                }
                if (status is not null)
                    _context.Observer.Verbose($"Apple's event {eventId} is still pending {ResubmitAfter.TotalMinutes:0} minutes after the {Describe(operation)} was sent; sending it again, as Apple asks.");
                // A request sent again because its event was stuck gets one look too; one whose event Apple forgot is followed as a new one.
                wait = status is null;
            }
            else
                _context.Observer.Verbose($"An earlier run journaled a {Describe(operation)} but never recorded Apple's answer; sending it again.");

            if (operation.Kind is PendingOperations.CreateUsers or PendingOperations.RetireUsers)
            {
                var rest = await ReadBackUsersAsync(client, tokenKey, operation, cancellationToken).ConfigureAwait(false);
                if (rest is null)
                {
                    ended = true;
                    continue;
                }
                operation = rest;
            }
            if (operation.Kind == PendingOperations.DisassociateSeats)
            {
                // An immediate reclaim Apple applied would be refused whole (9815) if sent again: users no longer holding the seat are done.
                var rest = await ReadBackSeatsAsync(client, tokenKey, operation, cancellationToken).ConfigureAwait(false);
                if (rest is null)
                {
                    ended = true;
                    continue;
                }
                operation = rest;
            }
            // An association is sent again as it was: a user who holds the seat already keeps it (with the renewal sent), no second seat is taken.
            ended |= await SubmitAsync(client, tokenKey, operation, wait, null, cancellationToken).ConfigureAwait(false);
        }
        if (ended)
        {
            // What ended may change what the plan wants; the invite codes of users created come with the next read.
            _context.Store.Write((c, t) => AssignmentPlanner.RequestFullPlan(c, t, tokenKey));
            if (open.Any(o => o.Kind == PendingOperations.CreateUsers)) await RefreshUsersAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
        }
        return ended;
    }

    /// <summary>
    /// Before users/create or users/retire goes out again: asks Apple for each of its users. Those
    /// Apple already created (or retired) are recorded as such; the row keeps only the rest.
    /// Returns what is left to send, or null when nothing is (the row is then closed).
    /// </summary>
    private async Task<PendingOperation?> ReadBackUsersAsync(AppleClient client, long tokenKey, PendingOperation operation, CancellationToken cancellationToken)
    {
        var creating = operation.Kind == PendingOperations.CreateUsers;
        var users = UsersPayload.Read(operation.Payload).Users;
        var done = new List<PendingUser>();
        var records = new Dictionary<string, ResponseUser>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            var (found, _) = await client.ReadAllUsersAsync(new UserQuery { ClientUserId = user.ClientUserId }, cancellationToken).ConfigureAwait(false);
            var active = found.LastOrDefault(u => u.ClientUserId == user.ClientUserId && u.Status is not ("Retired" or "Deleted"));
            if (creating ? active is null : active is not null) continue;
            done.Add(user);
            if (active is not null) records[user.ClientUserId] = active;
        }
        var rest = users.Except(done).ToList();
        var payload = new UsersPayload(rest).Write();
        _context.Store.Write((c, t) =>
        {
            if (creating) RecordCreated(c, t, tokenKey, done, records, null);
            else RecordRetired(c, t, tokenKey, done, null);
            if (rest.Count == 0) PendingOperations.Close(c, t, operation.Id, "done", _context.Clock.UtcNow);
            else if (done.Count > 0) PendingOperations.Narrow(c, t, operation.Id, payload);
        });
        if (done.Count > 0)
            _context.Observer.Verbose($"Apple already had {done.Count} of the {users.Count} VPP user(s) of an earlier {Describe(operation)}: recorded, not sent again.");
        return rest.Count == 0 ? null : operation with { Payload = payload };
    }

    // ---------------------------------------------------------------- recording outcomes

    /// <summary>Brings the state in line with an event's outcome: what succeeded is held (or freed), what failed is recorded to retry.</summary>
    private void RecordLicenses(DbConnection c, DbTransaction t, long tokenKey, string kind, IReadOnlyList<PendingChange> changes, StatusResponse status, Counts? counts)
    {
        _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // a run whose lease was taken over records nothing; its journal row is followed up by the new holder
        var failed = new Dictionary<(string AdamId, int Kind, string Target), AppleErrorBody>();
        foreach (var failure in status.Failures ?? [])
        {
            var assets = failure.ErrorInfo?.Assets?.Select(a => a.AdamId).ToHashSet();
            var targets = (failure.ErrorInfo?.ClientUserIds ?? []).Select(u => (0, u)).Concat((failure.ErrorInfo?.SerialNumbers ?? []).Select(s => (1, s))).ToHashSet();
            foreach (var change in changes)
                if (targets.Contains((change.TargetKind, change.Target)) && (assets is null || assets.Contains(change.AdamId)))
                    failed[(change.AdamId, change.TargetKind, change.Target)] = failure;
        }
        var now = _context.Clock.UtcNow.ToStored();
        foreach (var ((adamId, targetKind, target), failure) in failed)
        {
            // Errors that ask to wait (9632, 9643) hold the target back as when Apple refuses a whole request.
            if (TargetBackoff.For(failure.ErrorNumber) is not null)
            {
                TargetBackoff.Record(c, t, tokenKey, [changes.First(x => x.AdamId == adamId && x.TargetKind == targetKind && x.Target == target)],
                    failure.ErrorNumber, failure.ErrorMessage, _context.Clock.UtcNow);
                continue;
            }
            var pricing = changes.First(x => x.AdamId == adamId && x.TargetKind == targetKind && x.Target == target).PricingParam;
            ManagedLicenses.RecordFailure(c, t, tokenKey, adamId, pricing, targetKind, target, failure.ErrorNumber, failure.ErrorMessage, now);
        }
        counts?.Fail(failed.Keys.Select(f => (f.AdamId, f.Kind, f.Target)));
        if (failed.Count > 0 || counts is null) AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        foreach (var byError in failed.Where(f => TargetBackoff.For(f.Value.ErrorNumber) is not null).GroupBy(f => f.Value.ErrorNumber))
            _context.Observer.Warning($"Apple refused {byError.Count()} license change(s) ({string.Join(", ", byError.Select(f => $"{f.Key.AdamId} for {f.Key.Target}").Take(5))}" +
                $"{(byError.Count() > 5 ? ", ..." : "")}): {TargetBackoff.Reason(byError.Key)}. They wait until " +
                $"{(_context.Clock.UtcNow + TargetBackoff.For(byError.Key)!.Value).ToLocalTime():yyyy-MM-dd HH:mm} and are not sent again before.");
        // 9609: Apple no longer knows the VPP user (removed behind VppPS's back, or its data lost): VppPS forgets it,
        // and the next plan creates one again for the person and gives the licenses anew.
        var unknownUsers = failed.Where(f => f.Key.Kind == 0 && f.Value.ErrorNumber == AppleErrorNumbers.RegisteredUserNotFound).Select(f => f.Key.Target).Distinct().ToList();
        if (unknownUsers.Count > 0) ForgetUsers(_context, c, t, tokenKey, unknownUsers, "Apple answered 9609 (registered user not found)");

        // What succeeded, applied set-wise: an event carries up to 25 assets x 1000 targets.
        var succeeded = ManagedLicenses.StageEventChanges(c, t, changes, change => failed.ContainsKey((change.AdamId, change.TargetKind, change.Target)));
        ManagedLicenses.ClearEventFailures(c, t, tokenKey);
        if (kind == PendingOperations.Associate)
        {
            InventoryWriter.EventAssociated(c, t, tokenKey);
            ManagedLicenses.EventAssociated(c, t, tokenKey, now);
            if (counts is not null) counts.Associated += succeeded;
        }
        else
        {
            InventoryWriter.EventDisassociated(c, t, tokenKey);
            ManagedLicenses.EventDisassociated(c, t, tokenKey);
            if (counts is not null) counts.Disassociated += succeeded;
        }
    }

    /// <summary>Re-reads Apple's counts so that no association asks for more than is available now.</summary>
    private async Task RefreshCountsAsync(AppleClient client, long tokenKey, CancellationToken cancellationToken)
    {
        // Seat counts too, where the token has assignments of subscriptions (one request: subscriptions are few).
        if (_context.Store.Read(c => AssignmentRecords.HasSubscriptionAssignments(c, tokenKey)))
        {
            var subscriptions = await client.ReadAllSubscriptionsAsync(null, cancellationToken).ConfigureAwait(false);
            _context.Store.Write((c, t) => Subscriptions.SubscriptionStore.UpdateCounts(c, t, tokenKey, subscriptions.Items));
        }
        var assets = await client.ReadAllAssetsAsync(cancellationToken).ConfigureAwait(false);
        _context.Store.Write((c, t) =>
        {
            foreach (var asset in assets)
                InventoryWriter.SetCounts(c, t, tokenKey, asset);
        });
    }

    private async Task CreateUsersAsync(AppleClient client, long tokenKey, IReadOnlyList<VppUserToCreate> people, AppleLimits limits, Counts counts, CancellationToken cancellationToken)
    {
        // The clientUserId is VppPS's own, never derived from a person's address (Apple's privacy advice).
        // It is journaled with the request before it is sent, so that a request sent again creates the same user.
        var users = people.Select(p => new PendingUser("vppps-" + Guid.NewGuid().ToString("N"), p.Mail ?? p.UserPrincipalName, p.ManagedAppleId, p.DirectoryUserId, p.UserPrincipalName)).ToList();
        var byId = users.ToDictionary(u => u.ClientUserId);
        foreach (var request in AppleRequestBatcher.PackUsers(users.Select(u => new RequestUser { ClientUserId = u.ClientUserId, Email = u.Email, ManagedAppleId = u.ManagedAppleId }), limits))
            await RunAsync(client, tokenKey, PendingOperations.CreateUsers, new UsersPayload(request.Users.Select(u => byId[u.ClientUserId]).ToList()).Write(), counts, cancellationToken).ConfigureAwait(false);
        await RefreshUsersAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// People linked to the VPP user the location already had for them (adopted_at set): VppPS
    /// licenses it from now on, and never retires it, since it did not create it.
    /// </summary>
    private void RecordAdopted(DbConnection c, DbTransaction t, long tokenKey, IReadOnlyList<VppUserToAdopt> users, Counts counts)
    {
        AssignmentPlanner.LinkAdopted(c, t, tokenKey, users, _context.Clock.UtcNow.ToStored());
        counts.Adopted += users.Count;
        _context.Journal.Write(c, t, "vpp-users", "Adopt",
            $"{users.Count} existing VPP user(s) linked instead of created: {string.Join(", ", users.Select(u => $"{u.UserPrincipalName} ({u.Email}, {u.Status})").Take(20))}");
    }

    /// <summary>VPP users Apple created: VppPS's own from now on. <paramref name="fromApple"/> gives what Apple listed for them, if read.</summary>
    private void RecordCreated(DbConnection c, DbTransaction t, long tokenKey, IReadOnlyList<PendingUser> users, IReadOnlyDictionary<string, ResponseUser>? fromApple, Counts? counts)
    {
        if (users.Count == 0) return;
        _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // a run whose lease was taken over records nothing
        var now = _context.Clock.UtcNow.ToStored();
        foreach (var user in users)
        {
            var listed = fromApple?.GetValueOrDefault(user.ClientUserId);
            ManagedLicenses.UserCreated(c, t, tokenKey, user.ClientUserId, user.DirectoryUserId, now);
            InventoryWriter.SaveVppUser(c, t, tokenKey, user.ClientUserId, listed?.Email ?? user.Email,
                listed?.Status ?? (user.ManagedAppleId is null ? "Registered" : "Associated"), listed?.InviteCode, listed?.IdHash);
        }
        if (counts is not null) counts.Created += users.Count;
        _context.Journal.Write(c, t, "vpp-users", "Create", $"{users.Count} VPP user(s) created: {string.Join(", ", users.Select(u => u.UserPrincipalName).Take(20))}");
    }

    /// <summary>Reads users changed since the last read, for the invite codes of the users just created.</summary>
    private async Task RefreshUsersAsync(AppleClient client, long tokenKey, CancellationToken cancellationToken)
    {
        var since = _context.Store.Read(c => SyncCursors.UsersVersion(c, tokenKey));
        var (users, versionId) = await client.ReadAllUsersAsync(new UserQuery { SinceVersionId = since }, cancellationToken).ConfigureAwait(false);
        _context.Store.Write((c, t) =>
        {
            foreach (var user in users.OrderBy(u => u.Status is "Retired" or "Deleted" ? 0 : 1))
                InventoryWriter.SaveVppUser(c, t, tokenKey, user.ClientUserId, user.Email, user.Status ?? "Registered", user.InviteCode, user.IdHash);
            if (since is not null && versionId is not null)
                SyncCursors.MoveUsersVersion(c, t, tokenKey, versionId);
        });
    }

    private async Task RetireUsersAsync(AppleClient client, long tokenKey, IReadOnlyList<VppUserToRetire> users, AppleLimits limits, Counts counts, CancellationToken cancellationToken)
    {
        var byId = users.ToDictionary(u => u.ClientUserId);
        foreach (var request in AppleRequestBatcher.PackUsers(users.Select(u => new RequestUser { ClientUserId = u.ClientUserId }), limits))
            await RunAsync(client, tokenKey, PendingOperations.RetireUsers,
                new UsersPayload(request.Users.Select(u => new PendingUser(u.ClientUserId, null, null, null, byId[u.ClientUserId].UserPrincipalName)).ToList()).Write(),
                counts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>VPP users Apple retired: their revocable licenses are free again; books stay (irrevocable).</summary>
    private void RecordRetired(DbConnection c, DbTransaction t, long tokenKey, IReadOnlyList<PendingUser> users, Counts? counts)
    {
        if (users.Count == 0) return;
        _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // a run whose lease was taken over records nothing
        foreach (var user in users)
        {
            var k = new (string, object?)[] { ("$k", tokenKey), ("$c", user.ClientUserId), ("$at", _context.Clock.UtcNow.ToStored()) };
            ManagedLicenses.UserRetired(c, t, k);
            InventoryWriter.VppUserRetired(c, t, k);
            ManagedLicenses.ReleaseRevocableLicenses(c, t, k);
            InventoryWriter.ReleaseRevocableLicenses(c, t, k);
            // Apple releases a retired user's subscription seats at once (spec 2.10.4).
            Subscriptions.SubscriptionStore.UserRetired(c, t, tokenKey, user.ClientUserId);
            ManagedLicenses.ForgetSeats(c, t, k);
        }
        if (counts is not null) counts.Retired += users.Count;
        _context.Journal.Write(c, t, "vpp-users", "Retire", $"{users.Count} VPP user(s) retired (removed from the directory): {string.Join(", ", users.Select(u => u.UserPrincipalName).Take(20))}");
    }

    /// <summary>
    /// VPP users VppPS created or adopted that Apple no longer knows (9609, or missing from a full
    /// read of the users; <paramref name="clientUserIds"/> null: every active one a full read just
    /// left out of vpp_users): VppPS forgets them with what it recorded for them, so that the next
    /// plan creates a VPP user again for each person (journaled as any creation) and gives the
    /// licenses and seats anew. Apple holds nothing for a user it does not know.
    /// </summary>
    internal static void ForgetUsers(VppContext context, DbConnection c, DbTransaction t, long tokenKey, IReadOnlyCollection<string>? clientUserIds, string why)
    {
        var forgotten = ManagedLicenses.UsersToForget(c, t, tokenKey, clientUserIds);
        if (forgotten.Count == 0) return;
        foreach (var (id, _) in forgotten)
        {
            var k = new (string, object?)[] { ("$k", tokenKey), ("$c", id) };
            InventoryWriter.ForgetUserLicenses(c, t, k);
            Subscriptions.SubscriptionStore.UserRetired(c, t, tokenKey, id);
            // Not adopted again by its address either: Apple does not know it.
            InventoryWriter.ForgetVppUser(c, t, k);
            ManagedLicenses.ForgetUser(c, t, k);
        }
        AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        context.Journal.Write(c, t, "vpp-users", "Forget",
            $"{forgotten.Count} VPP user(s) Apple no longer knows forgotten ({why}); the next plan creates them again: {string.Join(", ", forgotten.Select(f => f.Who).Take(20))}");
        context.Observer.Warning($"Apple no longer knows {forgotten.Count} VPP user(s) VppPS created or linked ({why}): " +
            $"{string.Join(", ", forgotten.Select(f => f.Who).Take(5))}{(forgotten.Count > 5 ? ", ..." : "")}. VppPS creates them again and gives their licenses anew.");
    }

    private static long TokenKey(DbConnection c, VppToken token, DbTransaction? t = null) =>
        TokenStore.Key(c, t, token.Id)
        ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"The token '{token.Name}' no longer exists.", token.Name);
}
