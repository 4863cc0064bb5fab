using System.Data.Common;
using VppPS.Engine.Store;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Assignments;

/// <summary>Which app or book: an adamId or a name, optionally narrowed to a token and a pricing.</summary>
public sealed record AssetSelector(string? AdamId, string? Name, string? Token, string? PricingParam = null, Guid? TokenId = null)
{
    public override string ToString() => Name ?? AdamId ?? "?";
}

/// <param name="Renewing">Subscriptions: whether the seats given renew at the period end (false: they lapse then); null keeps what the assignment says (new: true).</param>
/// <param name="ReclaimImmediately">Subscriptions: whether the seats the assignment takes back (Uninstall, members who leave) end at once rather than at the period end; null keeps what it says (new: false).</param>
public sealed record SetAssignmentRequest(AssetSelector App, string Group, AssignmentIntent Intent, LicenseType? LicenseType, bool AllowShortage,
    bool? Renewing = null, bool? ReclaimImmediately = null);

/// <summary>
/// The outcome of Set-VppAssignment: the assignment, and what applying it did (or would do).
/// <see cref="AppliedLater"/> says why it was saved but not applied now (another run holds the token).
/// </summary>
public sealed record SetAssignmentResult(VppAssignment Assignment, ApplyResult? Applied, IReadOnlyList<PlanItem> Plan, string? AppliedLater = null);

/// <summary>
/// Assignments of apps and books to groups, the rules that keep them sound (books only to user
/// groups as Required with user licensing; no Available for device groups; device licensing
/// only where Apple allows it; user-to-device only for Required; device-to-user never), and
/// never more licenses than owned. Changes are applied at Apple at once, under the token's lease.
/// </summary>
public sealed class AssignmentService
{
    private readonly VppContext _context;
    private readonly TokenService _tokens;

    public AssignmentService(VppContext context)
    {
        _context = context;
        _tokens = new TokenService(context);
    }

    internal sealed record AssetRow(long TokenKey, Guid TokenId, string TokenName, string AdamId, string PricingParam, string ProductType, string? Name,
        bool DeviceAssignable, bool Revocable, long Available);

    internal sealed record GroupRow(long Key, string Name, string Kind);

    public async Task<SetAssignmentResult> SetAsync(SetAssignmentRequest request, bool whatIf, CancellationToken cancellationToken, bool defer = false)
    {
        if (FindAssets(request.App).Count == 0 && FindSubscription(request.App) is { } subscription)
            return await SetSubscriptionAsync(request, subscription, whatIf, cancellationToken, defer).ConfigureAwait(false);
        if (request.Renewing is not null)
            throw Refuse("VppRenewingForSubscriptionsOnly", $"-Renewing is for subscriptions (their seats renew or lapse at the period end); '{request.App}' is an app or book. Leave -Renewing out.");
        var asset = ResolveAsset(request.App);
        var group = ResolveGroup(request.Group);
        var isBook = asset.ProductType == "Book";
        var licenseType = request.LicenseType ?? (group.Kind == "Device" ? LicenseType.Device : LicenseType.User);
        Validate(asset, group, request.Intent, licenseType, isBook);
        var token = _tokens.Get(asset.TokenId);
        TokenService.EnsureWritable(token);

        var now = _context.Clock.UtcNow.ToStored();
        var id = Guid.NewGuid();
        IReadOnlyList<PlanItem> planItems = [];
        VppAssignment assignment;
        Func<DbConnection, DbTransaction, VppAssignment> change = (c, t) =>
        {
            var existing = AssignmentRecords.ReadExisting(c, t, asset, group);
            if (request.Intent != AssignmentIntent.Uninstall) RefuseSecondSource(c, t, asset, group, token.Name);
            if (existing is { } old)
            {
                if (old.LicenseType == LicenseType.Device && licenseType == LicenseType.User)
                    throw Refuse("VppDeviceToUserLicensing", $"'{asset.Name ?? asset.AdamId}' is licensed to the devices of '{group.Name}'; Apple cannot move device licenses to users. " +
                        $"Remove the assignment with Remove-VppAssignment -ReclaimLicenses, then assign it again with -LicenseType User.");
                if (old.LicenseType == LicenseType.User && licenseType == LicenseType.Device && request.Intent != AssignmentIntent.Required)
                    throw Refuse("VppUserToDeviceNotRequired", $"Moving '{asset.Name ?? asset.AdamId}' from user to device licensing is allowed only with -Intent Required.");
                id = old.Id;
                AssignmentRecords.Update(c, t, id, request.Intent, licenseType, request.AllowShortage, now);
            }
            else
                AssignmentRecords.Insert(c, t, id, asset, group, request.Intent, licenseType, request.AllowShortage, now);
            AssignmentPlanner.RequestFullPlan(c, t, asset.TokenKey);
            // Never more than owned: refuse, with the shortage, unless told to license up to what is available.
            var assetKey = AssignmentRecords.AssetKey(c, t, asset);
            var plan = AssignmentPlanner.PlanAsApplied(c, t, asset.TokenKey, now, () => AssignmentPlanner.Plan(c, t, asset.TokenKey, token.Name, assetKey));
            // This assignment's own need: its members the plan licenses now, and those left waiting
            // (members of other assignments of the app, waiting before it, are not counted).
            var mine = id.ToString();
            var granted = plan.Associations.Count(a => a.AssignmentId == mine);
            var waiting = plan.Waiting.Count(w => w.AssignmentId == mine);
            if (waiting > 0 && !request.AllowShortage && !whatIf)
                throw new VppException(VppErrorKind.LimitExceeded, "VppLicenseShortage",
                    $"Not enough licenses for '{group.Name}': '{asset.Name ?? asset.AdamId}' under '{token.Name}' needs {granted + waiting} new license(s) and {granted} are available " +
                    $"({waiting} short). Buy more in Apple Business / Apple School Manager and sync, assign a smaller group, " +
                    "or add -AllowShortage to license members up to what is available (the others get theirs when licenses are bought or freed).", asset.Name ?? asset.AdamId);
            planItems = plan.Items().Where(i => i.AdamId == asset.AdamId || i.Action is PlanAction.CreateVppUser or PlanAction.AdoptVppUser).ToList();
            var result = AssignmentRecords.Read(c, t, id) ?? throw new InvalidOperationException("assignment vanished");
            if (!whatIf)
                _context.Journal.Write(c, t, $"assignment:{asset.Name ?? asset.AdamId} -> {group.Name}", existing is null ? "Add" : "Set",
                    $"{asset.Name ?? asset.AdamId} ({asset.AdamId}, {token.Name}) {request.Intent} for {group.Kind.ToLowerInvariant()} group '{group.Name}' with {licenseType.ToString().ToLowerInvariant()} licensing" +
                    (request.AllowShortage ? ", shortage allowed" : ""));
            return result;
        };
        if (whatIf)
        {
            assignment = _context.Store.Trial(change);
            return new SetAssignmentResult(assignment, null, planItems);
        }
        assignment = _context.Store.Write(change);
        return await ApplySavedAsync(token, asset.TokenKey, assignment.Id, asset.Name ?? asset.AdamId, group.Name, planItems, defer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After an assignment was saved: applies the token's plan now, unless deferred or another run holds the token.</summary>
    private async Task<SetAssignmentResult> ApplySavedAsync(VppToken token, long tokenKey, Guid assignmentId, string what, string groupName, IReadOnlyList<PlanItem> planItems,
        bool defer, CancellationToken cancellationToken)
    {
        if (defer) return new SetAssignmentResult(Get(assignmentId), null, planItems);
        try
        {
            var applied = await ApplyAsync(token, refreshCounts: true, cancellationToken).ConfigureAwait(false);
            return new SetAssignmentResult(Get(assignmentId), applied, planItems);
        }
        catch (VppException e) when (TokenLease.IsBusy(e))
        {
            // Saved: the run holding the token applies it when it plans after this (a sync plans after its pull); otherwise the next sync does.
            var holder = new LeaseStore(_context.Store, _context.Clock).Read(Lease.ForToken(tokenKey));
            return new SetAssignmentResult(Get(assignmentId), null, planItems,
                $"The assignment of '{what}' to '{groupName}' is saved; it is applied by the run in progress " +
                $"({holder?.Holder.Description ?? "another run"}{(holder is null ? "" : $", since {holder.AcquiredAt.ToLocalTime():HH:mm:ss}")}) or the next sync. See Get-VppAssignmentPlan.");
        }
    }

    /// <summary>The product type of an assignment of a subscription (its pricing_param is empty: subscriptions have none).</summary>
    public const string SubscriptionProductType = "Subscription";

    /// <summary>
    /// Set-VppAssignment given a subscription: its seats go to the members of a user group
    /// (Required) or are taken back (Uninstall), renewing or lapsing at the period end, never more
    /// than available (the same check in the same transaction as for apps).
    /// </summary>
    private async Task<SetAssignmentResult> SetSubscriptionAsync(SetAssignmentRequest request, VppSubscription subscription, bool whatIf, CancellationToken cancellationToken, bool defer)
    {
        var group = ResolveGroup(request.Group);
        var name = subscription.DisplayName;
        if (group.Kind == "Device" || request.LicenseType == LicenseType.Device) throw RefuseSubscription(subscription, group, request);
        if (request.Intent == AssignmentIntent.Available)
            throw Refuse("VppSubscriptionNotAvailable", $"'{name}' is a subscription: its seats go to every member of the group (-Intent Required) and are taken back with -Intent Uninstall. " +
                "Available (members ask for the app) is for apps.");
        var token = _tokens.Get(subscription.TokenId!.Value);
        TokenService.EnsureWritable(token);
        var now = _context.Clock.UtcNow.ToStored();
        var id = Guid.NewGuid();
        long tokenKey = 0;
        IReadOnlyList<PlanItem> planItems = [];
        Func<DbConnection, DbTransaction, VppAssignment> change = (c, t) =>
        {
            tokenKey = TokenStore.Key(c, t, token.Id)!.Value;
            bool? oldRenewing = null, oldImmediate = null;
            if (AssignmentRecords.ReadSubscriptionAssignment(c, t, tokenKey, subscription.AdamId, group.Key) is { } old) (id, oldRenewing, oldImmediate) = old;
            var renewing = request.Renewing ?? oldRenewing ?? true;
            var immediate = request.ReclaimImmediately ?? oldImmediate ?? false;
            var values = new (string, object?)[] { ("$id", id.ToString()), ("$k", tokenKey), ("$a", subscription.AdamId), ("$type", SubscriptionProductType), ("$g", group.Key),
                ("$i", request.Intent.ToString()), ("$s", request.AllowShortage ? 1 : 0), ("$r", renewing ? 1 : 0), ("$x", immediate ? 1 : 0), ("$now", now) };
            // Seats that lapse are given for one billing period: the one the next apply finds, after reading
            // Apple's period end (covers_period_end, set then; see SeatPlanner.CoverBillingPeriods).
            if (oldRenewing is not null)
                AssignmentRecords.UpdateSubscription(c, t, values);
            else
                AssignmentRecords.InsertSubscription(c, t, values);
            AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
            // Never more seats than available: refuse, with the shortage, unless told to give seats up to what is available.
            // Planned as the apply plans: members linked first to the VPP user the location has for them, so that one
            // who holds a seat under it already needs none (and is not shown one with -WhatIf).
            var plan = AssignmentPlanner.PlanAsApplied(c, t, tokenKey, now, () => SeatPlanner.PlanOne(c, t, tokenKey, token.Name, subscription.AdamId));
            var mine = id.ToString();
            var granted = plan.SeatAssociations.Count(a => a.AssignmentId == mine && a.NeedsSeat);
            var waiting = plan.SeatWaiting.Count(w => w.AssignmentId == mine);
            if (waiting > 0 && !request.AllowShortage && !whatIf)
                throw new VppException(VppErrorKind.LimitExceeded, "VppLicenseShortage",
                    (subscription.Status is { } status && !status.Equals("ACTIVE", StringComparison.OrdinalIgnoreCase)
                        ? $"'{name}' under '{token.Name}' is {status}: Apple gives seats of active subscriptions only, so the {waiting} member(s) of '{group.Name}' would wait. "
                        : $"Not enough seats for '{group.Name}': '{name}' under '{token.Name}' needs {granted + waiting} new {(renewing ? "renewing " : "")}seat(s) and {granted} are available ({waiting} short). ") +
                    "Buy more seats in Apple Business / Apple School Manager and sync, assign a smaller group, " +
                    "or add -AllowShortage to give seats to members up to what is available (the others get theirs when seats are bought or freed).", name);
            planItems = plan.Items().ToList();
            var result = AssignmentRecords.Read(c, t, id) ?? throw new InvalidOperationException("assignment vanished");
            if (!whatIf)
                _context.Journal.Write(c, t, $"assignment:{name} -> {group.Name}", oldRenewing is null ? "Add" : "Set",
                    $"{name} ({subscription.AdamId}, {token.Name}) {request.Intent} for user group '{group.Name}': {(renewing ? "renewing seats" : "seats that lapse at the period end")}, " +
                    $"taken back {(immediate ? "at once" : "at the period end")}{(request.AllowShortage ? ", shortage allowed" : "")}");
            return result;
        };
        if (whatIf)
        {
            var trial = _context.Store.Trial(change);
            return new SetAssignmentResult(trial, null, planItems);
        }
        var assignment = _context.Store.Write(change);
        return await ApplySavedAsync(token, tokenKey, assignment.Id, name, group.Name, planItems, defer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Remove-VppAppLicense given a subscription: takes seats back at Apple, deferred to the period end unless <paramref name="immediately"/>.</summary>
    private async Task<ApplyResult> RemoveSeatsAsync(VppSubscription subscription, string[]? users, string[]? devices, string? groupName, bool all, bool includeUnmanaged,
        bool immediately, CancellationToken cancellationToken)
    {
        var name = subscription.DisplayName;
        if (devices is { Length: > 0 })
            throw Refuse("VppSubscriptionUsersOnly", $"'{name}' is a subscription: Apple gives its seats to users only, so no device holds one. Give -User, -Group or -All.");
        var token = _tokens.Get(subscription.TokenId!.Value);
        TokenService.EnsureWritable(token);
        var changes = _context.Store.Read(c =>
        {
            var tokenKey = TokenStore.Key(c, null, token.Id)!.Value;
            long? groupKey = null;
            if (!all)
            {
                if (groupName is not null)
                {
                    var group = ResolveGroup(groupName);
                    if (group.Kind == "Device")
                        throw Refuse("VppSubscriptionUsersOnly", $"'{name}' is a subscription: Apple gives its seats to users only, so the device group '{group.Name}' holds none. Give a user group.");
                    groupKey = group.Key;
                }
                if ((users?.Length ?? 0) == 0 && groupKey is null)
                    throw Refuse("VppNoLicenseTarget", "Say whose seats to take back: -User, -Group, or -All.");
            }
            return AssignmentRecords.SeatsToTakeBack(c, tokenKey, subscription.AdamId, users, groupKey, all, includeUnmanaged, immediately)
                .Select(s => new SeatChange(subscription.AdamId, name, s.ClientUserId, s.Who, null, s.AssignmentId, null,
                    "taken back with Remove-VppAppLicense", Renewing: false, Deferred: !immediately)).ToList();
        });
        var when = immediately ? "at once" : "at the period end";
        if (changes.Count == 0)
            _context.Observer.Warning($"Nothing to take back: no seat of '{name}' under '{token.Name}' matches" +
                (includeUnmanaged ? "" : " among those VppPS gave (seats given outside VppPS are taken back only with -IncludeUnmanaged)") +
                (immediately ? "." : ", or it ends at the period end already."));
        if (changes.Count == 0 || !_context.Observer.ShouldProcess($"{name} ({token.Name})", $"Take back {changes.Count} subscription seat(s) at Apple, {when}"))
            return new ApplyResult { Token = token.Name };
        using var lease = TokenLease.Acquire(_context, token);
        // Seats given directly (Add-VppAppLicense) are no longer asked for: the plan neither gives them again nor cancels their reclaim.
        _context.Store.Write((c, t) =>
        {
            var tokenKey = TokenStore.Key(c, t, token.Id)!.Value;
            foreach (var change in changes)
                AssignmentRecords.ForgetSeatRequest(c, t, tokenKey, subscription.AdamId, change.ClientUserId);
            AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        });
        var result = await _tokens.CallAsync(token, client => new AssignmentApplier(_context).ReclaimSeatsAsync(token, client, changes, cancellationToken)).ConfigureAwait(false);
        _context.Store.Write((c, t) => _context.Journal.Write(c, t, $"license:{name}", "Reclaim",
            $"{result.SeatsDisassociated} seat(s) of {name} ({token.Name}) taken back {when}{(includeUnmanaged ? ", including seats given outside VppPS" : "")}, {result.Failed} failed"));
        return result;
    }

    public IReadOnlyList<VppAssignment> List() => _context.Store.Read(c => AssignmentRecords.Query(c, null, "", []));

    public VppAssignment Get(Guid id) => _context.Store.Read(c => AssignmentRecords.Read(c, null, id))
        ?? throw new VppException(VppErrorKind.NotFound, "VppAssignmentNotFound", $"No assignment has the id {id}. Run Get-VppAssignment.", id);

    /// <summary>Removes an assignment; licenses it gave stay (as in Intune) unless <paramref name="reclaim"/>.</summary>
    /// <param name="immediately">Subscriptions: the seats end at once instead of at the period end.</param>
    public async Task<ApplyResult?> RemoveAsync(Guid id, bool reclaim, CancellationToken cancellationToken, bool immediately = false)
    {
        var assignment = Get(id);
        var token = _tokens.Get(_context.Store.Read(c => AssignmentRecords.TokenIdOf(c, id)));
        ApplyResult? applied = null;
        if (reclaim)
        {
            TokenService.EnsureWritable(token);
            // Reclaiming is what Uninstall does: apply that, then forget the assignment.
            _context.Store.Write((c, t) =>
            {
                AssignmentRecords.MarkUninstall(c, t, id, immediately);
                AssignmentPlanner.RequestFullPlan(c, t, AssignmentRecords.TokenKeyOf(c, t, id.ToString())!.Value);
            });
            applied = await ApplyAsync(token, refreshCounts: false, cancellationToken).ConfigureAwait(false);
        }
        _context.Store.Write((c, t) =>
        {
            Forget(c, t, id.ToString());
            _context.Journal.Write(c, t, $"assignment:{assignment.App ?? assignment.AdamId} -> {assignment.Group}", "Remove",
                !reclaim ? "assignment removed; the licenses it gave stay assigned (use -ReclaimLicenses to take them back)"
                : assignment.ProductType == SubscriptionProductType ? $"assignment removed; {applied?.SeatsDisassociated ?? 0} subscription seat(s) taken back{(immediately ? " at once" : ", ending at the period end")}"
                : $"assignment removed; {applied?.Disassociated ?? 0} license(s) reclaimed");
        });
        return applied;
    }

    /// <summary>
    /// Deletes an assignment and keeps the licenses it gave (as Intune does), marked as kept: a
    /// later assignment that wants them adopts them (see AssignmentPlanner.AdoptKeptLicenses).
    /// </summary>
    internal static void Forget(DbConnection c, DbTransaction t, string assignmentId)
    {
        if (AssignmentRecords.TokenKeyOf(c, t, assignmentId) is long tokenKey) AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        ManagedLicenses.KeepWithoutAssignment(c, t, assignmentId);
        AssignmentRecords.Delete(c, t, assignmentId);
    }

    /// <summary>A member asks for an app (self-service) or the admin grants one directly with <paramref name="force"/>.</summary>
    /// <param name="renewing">Subscriptions: whether the seat renews at the period end (null: it does); false: it lapses then. Refused for apps and books.</param>
    public async Task<ApplyResult> AddLicenseAsync(AssetSelector app, string? userPrincipalName, string? serialNumber, bool force, CancellationToken cancellationToken, bool? renewing = null)
    {
        if (FindAssets(app).Count == 0 && FindSubscription(app) is { } subscription)
            return await AddSeatAsync(subscription, userPrincipalName, serialNumber, renewing ?? true, cancellationToken).ConfigureAwait(false);
        if (renewing is not null)
            throw Refuse("VppRenewingForSubscriptionsOnly", $"-Renewing is for subscriptions (their seats renew or lapse at the period end); '{app}' is an app or book. Leave -Renewing out.");
        var asset = ResolveAsset(app);
        var token = _tokens.Get(asset.TokenId);
        TokenService.EnsureWritable(token);
        var kind = userPrincipalName is not null ? 0 : 1;
        if (asset.ProductType == "Book" && kind == 1)
            throw Refuse("VppBookToDevice", $"'{asset.Name ?? asset.AdamId}' is a book: books are licensed to users only. Give -User instead.");
        if (kind == 1 && !asset.DeviceAssignable)
            throw Refuse("VppNotDeviceAssignable", $"'{asset.Name ?? asset.AdamId}' cannot be licensed to devices (Apple says it is not device-assignable). Give -User instead.");
        var member = _context.Store.Write((c, t) =>
        {
            var memberKey = kind == 0
                ? AssignmentRecords.DirectoryUserKey(c, t, userPrincipalName)
                : AssignmentRecords.DirectoryDeviceKey(c, t, serialNumber);
            var who = userPrincipalName ?? serialNumber!;
            if (memberKey is null)
                throw new VppException(VppErrorKind.NotFound, "VppDirectoryMemberNotFound",
                    $"'{who}' is not in the VppPS directory. Add it to a group with Add-VppGroupMember (or Import-VppDirectory) first.", who);
            var covered = AssignmentRecords.Covers(c, t, asset, memberKey.Value, kind);
            if (!covered && !force)
                throw Refuse("VppLicenseNotAssigned",
                    $"No Required or Available assignment of '{asset.Name ?? asset.AdamId}' covers '{who}'. Assign the app to a group the member is in (Set-VppAssignment), or grant it directly with -Force.");
            AssignmentRecords.RequestLicense(c, t, asset, kind, memberKey.Value, forced: !covered, _context.Clock.UtcNow.ToStored());
            AssignmentPlanner.RequestFullPlan(c, t, asset.TokenKey);
            _context.Journal.Write(c, t, $"license:{asset.Name ?? asset.AdamId}", "Request", $"license of {asset.Name ?? asset.AdamId} ({token.Name}) requested for {who}{(covered ? "" : " (direct, -Force)")}");
            return memberKey.Value;
        });
        return await ApplyForMemberAsync(token, asset.TokenKey, asset.AdamId, kind, member, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies the token's plan for a license or seat asked for one member: the result counts as
    /// failed only the changes of that member's license (other targets the plan retried are not its own).
    /// </summary>
    private async Task<ApplyResult> ApplyForMemberAsync(VppToken token, long tokenKey, string adamId, int kind, long memberKey, CancellationToken cancellationToken)
    {
        // The member's targets before and after: a VPP user may be created, or forgotten (9609), by the apply.
        HashSet<string> Targets() => _context.Store.Read(c => AssignmentRecords.MemberTargets(c, tokenKey, kind, memberKey));
        var targets = Targets();
        var result = await ApplyAsync(token, refreshCounts: true, cancellationToken).ConfigureAwait(false);
        targets.UnionWith(Targets());
        return result with { Failed = result.FailedTargets.Count(f => f.AdamId == adamId && f.TargetKind == kind && targets.Contains(f.Target)) };
    }

    /// <summary>
    /// Add-VppAppLicense given a subscription: a seat for one user, given directly (no assignment needed,
    /// as subscriptions have no Available intent), renewing or lapsing at the end of the billing period it
    /// is given in. Kept as a request the plan serves like an assignment's member, with the same rule:
    /// never more seats than available (refused, saying so, when none is left for the user).
    /// </summary>
    private async Task<ApplyResult> AddSeatAsync(VppSubscription subscription, string? userPrincipalName, string? serialNumber, bool renewing, CancellationToken cancellationToken)
    {
        var name = subscription.DisplayName;
        if (serialNumber is not null)
            throw Refuse("VppSubscriptionUsersOnly", $"'{name}' under '{subscription.Token}' is a subscription: Apple gives its seats to users only " +
                "(subscriptions are not device-assignable), so no device can hold one. Give -User instead.");
        var token = _tokens.Get(subscription.TokenId!.Value);
        TokenService.EnsureWritable(token);
        var who = userPrincipalName!;
        var (seatTokenKey, member) = _context.Store.Write((c, t) =>
        {
            var tokenKey = TokenStore.Key(c, t, token.Id)!.Value;
            var memberKey = AssignmentRecords.DirectoryUserKey(c, t, who)
                ?? throw new VppException(VppErrorKind.NotFound, "VppDirectoryMemberNotFound",
                    $"'{who}' is not in the VppPS directory. Add it to a group with Add-VppGroupMember (or Import-VppDirectory) first.", who);
            // A seat that lapses is given for the billing period the next apply finds (SeatPlanner.CoverBillingPeriods).
            AssignmentRecords.RequestSeat(c, t, tokenKey, subscription.AdamId, memberKey, _context.Clock.UtcNow.ToStored(), renewing);
            AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
            // Never more seats than available, by the plan's own count (seats others wait for first).
            var plan = AssignmentPlanner.PlanAsApplied(c, t, tokenKey, _context.Clock.UtcNow.ToStored(), () => SeatPlanner.PlanOne(c, t, tokenKey, token.Name, subscription.AdamId));
            if (plan.SeatWaiting.Any(w => w.UserKey == memberKey))
                throw new VppException(VppErrorKind.LimitExceeded, "VppLicenseShortage",
                    (subscription.Status is { } status && !status.Equals("ACTIVE", StringComparison.OrdinalIgnoreCase)
                        ? $"'{name}' under '{token.Name}' is {status}: Apple gives seats of active subscriptions only, so '{who}' gets none. "
                        : $"Not enough seats: '{name}' under '{token.Name}' has no {(renewing ? "renewing " : "")}seat left for '{who}'. ") +
                    "Buy more seats in Apple Business / Apple School Manager and sync, or free one with Remove-VppAppLicense.", who);
            _context.Journal.Write(c, t, $"license:{name}", "Request",
                $"seat of {name} ({subscription.AdamId}, {token.Name}) requested for {who}, {(renewing ? "renewing" : "lapsing at the period end")} (direct)");
            return (tokenKey, memberKey);
        });
        return await ApplyForMemberAsync(token, seatTokenKey, subscription.AdamId, 0, member, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes licenses back at Apple: for some users, devices, a group's members, or all; VppPS's own unless <paramref name="includeUnmanaged"/>.</summary>
    public async Task<ApplyResult> RemoveLicensesAsync(AssetSelector app, string[]? users, string[]? devices, string? groupName, bool all, bool includeUnmanaged,
        CancellationToken cancellationToken, bool immediately = false)
    {
        if (FindAssets(app).Count == 0 && FindSubscription(app) is { } subscription)
            return await RemoveSeatsAsync(subscription, users, devices, groupName, all, includeUnmanaged, immediately, cancellationToken).ConfigureAwait(false);
        var asset = ResolveAsset(app);
        if (!asset.Revocable)
            throw Refuse("VppLicenseIrrevocable", $"'{asset.Name ?? asset.AdamId}' licenses cannot be reclaimed: Apple marks {(asset.ProductType == "Book" ? "books" : "this asset")} irrevocable.");
        var token = _tokens.Get(asset.TokenId);
        var changes = _context.Store.Read(c =>
        {
            GroupRow? group = null;
            if (!all)
            {
                if (groupName is not null) group = ResolveGroup(groupName);
                if ((users?.Length ?? 0) == 0 && (devices?.Length ?? 0) == 0 && group is null)
                    throw Refuse("VppNoLicenseTarget", "Say whose licenses to reclaim: -User, -Device, -Group, or -All.");
            }
            return AssignmentRecords.LicensesToReclaim(c, asset, users, devices, group, all, includeUnmanaged)
                .Select(l => new LicenseChange(l.AssetKey, asset.AdamId, asset.PricingParam, asset.Name, l.TargetKind, l.Target, l.Target, null, null, null, "reclaimed with Remove-VppAppLicense")).ToList();
        });
        if (changes.Count == 0)
            _context.Observer.Warning($"Nothing to reclaim: no license of '{asset.Name ?? asset.AdamId}' under '{token.Name}' matches" +
                (includeUnmanaged ? "." : " among those VppPS assigned (licenses assigned outside VppPS are reclaimed only with -IncludeUnmanaged)."));
        if (changes.Count == 0 || !_context.Observer.ShouldProcess($"{asset.Name ?? asset.AdamId} ({token.Name})", $"Reclaim {changes.Count} license(s) at Apple"))
            return new ApplyResult { Token = token.Name };
        // Whoever asked for it directly no longer does.
        _context.Store.Write((c, t) =>
        {
            AssignmentPlanner.RequestFullPlan(c, t, asset.TokenKey);
            foreach (var change in changes)
                AssignmentRecords.ForgetLicenseRequest(c, t, asset, change.TargetKind, change.Target);
        });
        using var lease = TokenLease.Acquire(_context, token);
        var result = await _tokens.CallAsync(token, client => new AssignmentApplier(_context).ReclaimAsync(token, client, changes, cancellationToken)).ConfigureAwait(false);
        _context.Store.Write((c, t) => _context.Journal.Write(c, t, $"license:{asset.Name ?? asset.AdamId}", "Reclaim",
            $"{result.Disassociated} license(s) of {asset.Name ?? asset.AdamId} ({token.Name}) reclaimed{(includeUnmanaged ? ", including licenses assigned outside VppPS" : "")}, {result.Failed} failed"));
        var stillWanted = _context.Store.Read(c => AssignmentPlanner.Plan(c, null, asset.TokenKey, token.Name)).Associations.Count(a => a.AdamId == asset.AdamId);
        if (stillWanted > 0)
            _context.Observer.Warning($"{stillWanted} of these targets are still in a Required assignment of '{asset.Name ?? asset.AdamId}': the next sync gives them a license again. Change the assignment or the group to keep them without it.");
        return result;
    }

    /// <summary>The plans of every token (or one), as items.</summary>
    public IReadOnlyList<PlanItem> PlanItems(VppToken? only)
    {
        var errors = _context.Store.Read(ManagedLicenses.FailureMessages);
        var applier = new AssignmentApplier(_context);
        return (only is null ? _tokens.List() : [only]).SelectMany(t => applier.Plan(t).Items(errors)).ToList();
    }

    /// <summary>Applies the token's plan now, holding the token's lease.</summary>
    public async Task<ApplyResult> ApplyAsync(VppToken token, bool refreshCounts, CancellationToken cancellationToken)
    {
        using var lease = TokenLease.Acquire(_context, token);
        return await _tokens.CallAsync(token, client => new AssignmentApplier(_context).ApplyAsync(token, client, refreshCounts, cancellationToken)).ConfigureAwait(false);
    }

    private static void Validate(AssetRow asset, GroupRow group, AssignmentIntent intent, LicenseType licenseType, bool isBook)
    {
        var name = asset.Name ?? asset.AdamId;
        if (isBook)
        {
            if (group.Kind != "User")
                throw Refuse("VppBookToDeviceGroup", $"'{name}' is a book: books are assigned to user groups only. Use a user group (New-VppGroup -Kind User).");
            if (intent != AssignmentIntent.Required)
                throw Refuse("VppBookNotRequired", $"'{name}' is a book: books are assigned as Required only. Use -Intent Required.");
            if (licenseType != LicenseType.User)
                throw Refuse("VppBookDeviceLicensing", $"'{name}' is a book: books are licensed to users only. Use -LicenseType User.");
            return;
        }
        if (intent == AssignmentIntent.Available && group.Kind == "Device")
            throw Refuse("VppAvailableToDeviceGroup", $"Available is for users who ask for an app; it cannot target the device group '{group.Name}'. Use -Intent Required or Uninstall, or a user group.");
        if (group.Kind == "Device" && licenseType == LicenseType.User)
            throw Refuse("VppUserLicensingForDevices", $"'{group.Name}' is a device group: devices have no Apple Account, so they need -LicenseType Device.");
        if (licenseType == LicenseType.Device && !asset.DeviceAssignable)
            throw Refuse("VppNotDeviceAssignable", $"'{name}' cannot be licensed to devices (Apple says it is not device-assignable). Use -LicenseType User with a user group.");
        if (licenseType == LicenseType.Device && group.Kind == "User" && intent == AssignmentIntent.Available)
            throw Refuse("VppAvailableDeviceLicensing", "Available assignments license users who ask; use -LicenseType User, or -Intent Required to license the members' devices.");
    }

    private static VppException Refuse(string id, string message) => new(VppErrorKind.InvalidArgument, id, message);

    /// <summary>What Set-VppAssignment says of a subscription for a device group or device licensing: its seats go to users only.</summary>
    private static VppException RefuseSubscription(VppSubscription subscription, GroupRow group, SetAssignmentRequest request)
    {
        var name = subscription.DisplayName;
        if (group.Kind == "Device")
            return Refuse("VppSubscriptionUsersOnly", $"'{name}' under '{subscription.Token}' is a subscription: Apple gives its seats to users only " +
                $"(subscriptions are not device-assignable), so it cannot be assigned to the device group '{group.Name}'. Assign it to a user group.");
        return Refuse("VppSubscriptionUsersOnly", $"'{name}' under '{subscription.Token}' is a subscription: Apple gives its seats to users only " +
            "(subscriptions are not device-assignable). Use -LicenseType User.");
    }

    /// <summary>The synced app or book the selector names.</summary>
    private AssetRow ResolveAsset(AssetSelector selector)
    {
        var rows = FindAssets(selector);
        // Say what is wrong: the token is unknown, the app is a custom B2B app (skipped by design), or no synced app has the name.
        if (rows.Count == 0 && _context.Store.Read(c => Inventory.AssetLookup.Missing(c, selector.AdamId ?? selector.Name ?? "", null,
                selector.Token is null ? null : [selector.Token], selector.TokenId is { } tokenId ? [tokenId] : null)) is { } missing)
            throw missing;
        if (rows.Count == 0)
            throw new VppException(VppErrorKind.NotFound, "VppAppNotFound",
                $"No synced app or book matches '{selector}'{(selector.Token is null ? "" : $" under '{selector.Token}'")}. Check Get-VppLicensedApp / Get-VppLicensedBook, or run Sync-VppToken first.", selector.ToString());
        if (rows.Count > 1)
            throw new VppException(VppErrorKind.InvalidArgument, "VppAppAmbiguous",
                $"'{selector}' is bought under several tokens or pricings ({string.Join("; ", rows.Select(r => $"{r.TokenName} {r.PricingParam}"))}). Name one with -Token (and -PricingParam), or pipe it from Get-VppLicensedApp.", selector.ToString());
        return rows[0];
    }

    /// <summary>The synced apps and books the selector names.</summary>
    private List<AssetRow> FindAssets(AssetSelector selector)
    {
        return _context.Store.Read(c => AssignmentRecords.FindAssets(c, selector));
    }

    /// <summary>
    /// The synced subscription the selector names: by adamId, or by its name or its parent app's (under
    /// the token named, if any). Several (under several tokens, or several of one parent app) are refused.
    /// </summary>
    private VppSubscription? FindSubscription(AssetSelector selector)
    {
        var key = selector.AdamId ?? selector.Name;
        if (key is null) return null;
        var found = _context.Store.Read(c => SubscriptionStore.Subscriptions(c, selector.TokenId is { } id ? [id] : null)).Where(s =>
            (selector.Token is null || string.Equals(s.Token, selector.Token, StringComparison.OrdinalIgnoreCase)) &&
            (s.AdamId == key || (selector.AdamId is null && (string.Equals(s.Name, key, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(s.ParentApp, key, StringComparison.OrdinalIgnoreCase) || string.Equals(s.DisplayName, key, StringComparison.OrdinalIgnoreCase))))).ToList();
        // A name that is the adamId or full name of one subscription wins over a parent app's name shared by several.
        if (found.Count > 1 && found.Where(s => s.AdamId == key || string.Equals(s.Name, key, StringComparison.OrdinalIgnoreCase)).ToList() is { Count: 1 } exact) return exact[0];
        if (found.Count > 1)
            throw new VppException(VppErrorKind.InvalidArgument, "VppAppAmbiguous",
                $"'{selector}' names several subscriptions ({string.Join("; ", found.Select(s => $"{s.DisplayName} under {s.Token}"))}). Name one by its adamId, with -Token, or pipe it from Get-VppSubscription.", selector.ToString());
        return found.FirstOrDefault();
    }

    private GroupRow ResolveGroup(string name) => _context.Store.Read(c => AssignmentRecords.FindGroup(c, name)) ?? throw new VppException(VppErrorKind.NotFound, "VppGroupNotFound", $"No group is named '{name}'. Create it with New-VppGroup, or see Get-VppGroup.", name);

    /// <summary>
    /// One license of an app per member: the same app (another token, or the other pricing) already
    /// Required or Available for the group would give each member a second license, which nobody
    /// wants and the planner cannot tell apart. Moving the group to another token goes through
    /// Uninstall (or removal) of the first assignment.
    /// </summary>
    private static void RefuseSecondSource(DbConnection c, DbTransaction t, AssetRow asset, GroupRow group, string tokenName)
    {
        if (AssignmentRecords.OtherSource(c, t, asset, group) is not { } source) return;
        var (otherToken, otherPricing, intent) = source;
        var name = asset.Name ?? asset.AdamId;
        var other = string.Equals(otherToken, tokenName, StringComparison.OrdinalIgnoreCase) ? $"with the pricing {otherPricing}" : $"from the token '{otherToken}'";
        throw new VppException(VppErrorKind.InvalidArgument, "VppAppAssignedFromAnotherToken",
            $"'{name}' is already assigned to '{group.Name}' {other} ({intent}); assigning it from '{tokenName}' too would give every member a second license of the same app. " +
            $"Keep one token per app and group. To move the group to '{tokenName}', first set the other assignment to Uninstall " +
            $"(Set-VppAssignment -App '{name}' -Token '{otherToken}' -Group '{group.Name}' -Intent Uninstall) or remove it (Remove-VppAssignment), then assign again.",
            $"{name} -> {group.Name}");
    }

    internal sealed record ExistingRow(Guid Id, LicenseType LicenseType);
}
