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

    private sealed record AssetRow(long TokenKey, Guid TokenId, string TokenName, string AdamId, string PricingParam, string ProductType, string? Name,
        bool DeviceAssignable, bool Revocable, long Available);

    private sealed record GroupRow(long Key, string Name, string Kind);

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
            var existing = ReadExisting(c, t, asset, group);
            if (request.Intent != AssignmentIntent.Uninstall) RefuseSecondSource(c, t, asset, group, token.Name);
            if (existing is { } old)
            {
                if (old.LicenseType == LicenseType.Device && licenseType == LicenseType.User)
                    throw Refuse("VppDeviceToUserLicensing", $"'{asset.Name ?? asset.AdamId}' is licensed to the devices of '{group.Name}'; Apple cannot move device licenses to users. " +
                        $"Remove the assignment with Remove-VppAssignment -ReclaimLicenses, then assign it again with -LicenseType User.");
                if (old.LicenseType == LicenseType.User && licenseType == LicenseType.Device && request.Intent != AssignmentIntent.Required)
                    throw Refuse("VppUserToDeviceNotRequired", $"Moving '{asset.Name ?? asset.AdamId}' from user to device licensing is allowed only with -Intent Required.");
                id = old.Id;
                c.Execute(t, "UPDATE assignments SET intent = $i, license_type = $l, allow_shortage = $s, updated_at = $now WHERE id = $id",
                    ("$i", request.Intent.ToString()), ("$l", licenseType.ToString()), ("$s", request.AllowShortage ? 1 : 0), ("$now", now), ("$id", id.ToString()));
            }
            else
                c.Execute(t, """
                    INSERT INTO assignments (id, token_key, adam_id, pricing_param, product_type, group_key, intent, license_type, allow_shortage, created_at, updated_at)
                    VALUES ($id, $k, $a, $p, $type, $g, $i, $l, $s, $now, $now)
                    """, ("$id", id.ToString()), ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$type", asset.ProductType),
                    ("$g", group.Key), ("$i", request.Intent.ToString()), ("$l", licenseType.ToString()), ("$s", request.AllowShortage ? 1 : 0), ("$now", now));
            AssignmentPlanner.RequestFullPlan(c, t, asset.TokenKey);
            // Never more than owned: refuse, with the shortage, unless told to license up to what is available.
            var assetKey = (long)c.Scalar(t, "SELECT asset_key FROM assets WHERE token_key = $k AND adam_id = $a AND pricing_param = $p",
                ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam))!;
            var plan = AssignmentPlanner.Plan(c, t, asset.TokenKey, token.Name, assetKey);
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
            var result = Read(c, t, id) ?? throw new InvalidOperationException("assignment vanished");
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
            tokenKey = (long)c.Scalar(t, "SELECT key FROM tokens WHERE id = $id", ("$id", token.Id.ToString()))!;
            bool? oldRenewing = null, oldImmediate = null;
            using (var command = c.Command(t, "SELECT id, renewing, reclaim_immediately FROM assignments WHERE token_key = $k AND adam_id = $a AND pricing_param = '' AND group_key = $g",
                ("$k", tokenKey), ("$a", subscription.AdamId), ("$g", group.Key)))
            using (var reader = command.ExecuteReader())
                if (reader.Read()) (id, oldRenewing, oldImmediate) = (Guid.Parse(reader.GetString(0)), reader.GetInt64(1) != 0, reader.GetInt64(2) != 0);
            var renewing = request.Renewing ?? oldRenewing ?? true;
            var immediate = request.ReclaimImmediately ?? oldImmediate ?? false;
            var values = new (string, object?)[] { ("$id", id.ToString()), ("$k", tokenKey), ("$a", subscription.AdamId), ("$type", SubscriptionProductType), ("$g", group.Key),
                ("$i", request.Intent.ToString()), ("$s", request.AllowShortage ? 1 : 0), ("$r", renewing ? 1 : 0), ("$x", immediate ? 1 : 0), ("$now", now) };
            // Seats that lapse are given for one billing period: the one the next apply finds, after reading
            // Apple's period end (covers_period_end, set then; see SeatPlanner.CoverBillingPeriods).
            if (oldRenewing is not null)
                c.Execute(t, "UPDATE assignments SET intent = $i, allow_shortage = $s, renewing = $r, reclaim_immediately = $x, covers_period_end = NULL, updated_at = $now WHERE id = $id", values);
            else
                c.Execute(t, """
                    INSERT INTO assignments (id, token_key, adam_id, pricing_param, product_type, group_key, intent, license_type, allow_shortage, renewing, reclaim_immediately, created_at, updated_at)
                    VALUES ($id, $k, $a, '', $type, $g, $i, 'User', $s, $r, $x, $now, $now)
                    """, values);
            AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
            // Never more seats than available: refuse, with the shortage, unless told to give seats up to what is available.
            var plan = new AssignmentPlan { TokenName = token.Name, TokenKey = tokenKey };
            SeatPlanner.Plan(c, t, tokenKey, plan, PendingOperations.ReadInFlight(c, t, tokenKey), subscription.AdamId);
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
            var result = Read(c, t, id) ?? throw new InvalidOperationException("assignment vanished");
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
            var tokenKey = (long)c.Scalar(null, "SELECT key FROM tokens WHERE id = $id", ("$id", token.Id.ToString()))!;
            var where = new List<string>();
            var parameters = new List<(string, object?)> { ("$k", tokenKey), ("$a", subscription.AdamId) };
            if (!all)
            {
                var any = new List<string>();
                for (var i = 0; i < (users?.Length ?? 0); i++)
                {
                    any.Add($"(ss.client_user_id = $u{i} OR ss.client_user_id IN (SELECT mu.client_user_id FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND (du.user_principal_name = $u{i} OR lower(du.mail) = lower($u{i}))))");
                    parameters.Add(($"$u{i}", users![i]));
                }
                if (groupName is not null)
                {
                    var group = ResolveGroup(groupName);
                    if (group.Kind == "Device")
                        throw Refuse("VppSubscriptionUsersOnly", $"'{name}' is a subscription: Apple gives its seats to users only, so the device group '{group.Name}' holds none. Give a user group.");
                    any.Add("ss.client_user_id IN (SELECT mu.client_user_id FROM group_members gm JOIN directory_users du ON du.user_key = gm.member_key JOIN managed_users mu ON mu.directory_user_id = du.id AND mu.token_key = $k WHERE gm.group_key = $g)");
                    parameters.Add(("$g", group.Key));
                }
                if (any.Count == 0)
                    throw Refuse("VppNoLicenseTarget", "Say whose seats to take back: -User, -Group, or -All.");
                where.Add("(" + string.Join(" OR ", any) + ")");
            }
            if (!includeUnmanaged) where.Add("ms.client_user_id IS NOT NULL");
            // A seat already ending is taken back again only to end it at once.
            if (!immediately) where.Add("ms.ending_at IS NULL");
            using var command = c.Command(null, $"""
                SELECT ss.client_user_id, coalesce(du.user_principal_name, ss.client_user_id), ms.assignment_id FROM subscription_seats ss
                LEFT JOIN managed_seats ms ON ms.token_key = ss.token_key AND ms.adam_id = ss.adam_id AND ms.client_user_id = ss.client_user_id
                LEFT JOIN managed_users mu ON mu.token_key = ss.token_key AND mu.client_user_id = ss.client_user_id
                LEFT JOIN directory_users du ON du.id = mu.directory_user_id
                WHERE ss.token_key = $k AND ss.adam_id = $a {(where.Count > 0 ? "AND " + string.Join(" AND ", where) : "")}
                ORDER BY ss.client_user_id
                """, parameters.ToArray());
            using var reader = command.ExecuteReader();
            var list = new List<SeatChange>();
            while (reader.Read())
                list.Add(new SeatChange(subscription.AdamId, name, reader.GetString(0), reader.GetString(1), null, reader.GetStringOrNull(2), null,
                    "taken back with Remove-VppAppLicense", Renewing: false, Deferred: !immediately));
            return list;
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
            var tokenKey = (long)c.Scalar(t, "SELECT key FROM tokens WHERE id = $id", ("$id", token.Id.ToString()))!;
            foreach (var change in changes)
                c.Execute(t, """
                    DELETE FROM license_requests WHERE token_key = $k AND adam_id = $a AND pricing_param = '' AND target_kind = 0 AND member_key IN
                        (SELECT du.user_key FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND mu.client_user_id = $x)
                    """, ("$k", tokenKey), ("$a", subscription.AdamId), ("$x", change.ClientUserId));
            AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        });
        var result = await _tokens.CallAsync(token, client => new AssignmentApplier(_context).ReclaimSeatsAsync(token, client, changes, cancellationToken)).ConfigureAwait(false);
        _context.Store.Write((c, t) => _context.Journal.Write(c, t, $"license:{name}", "Reclaim",
            $"{result.SeatsDisassociated} seat(s) of {name} ({token.Name}) taken back {when}{(includeUnmanaged ? ", including seats given outside VppPS" : "")}, {result.Failed} failed"));
        return result;
    }

    public IReadOnlyList<VppAssignment> List() => _context.Store.Read(c => Query(c, null, "", []));

    public VppAssignment Get(Guid id) => _context.Store.Read(c => Read(c, null, id))
        ?? throw new VppException(VppErrorKind.NotFound, "VppAssignmentNotFound", $"No assignment has the id {id}. Run Get-VppAssignment.", id);

    /// <summary>Removes an assignment; licenses it gave stay (as in Intune) unless <paramref name="reclaim"/>.</summary>
    /// <param name="immediately">Subscriptions: the seats end at once instead of at the period end.</param>
    public async Task<ApplyResult?> RemoveAsync(Guid id, bool reclaim, CancellationToken cancellationToken, bool immediately = false)
    {
        var assignment = Get(id);
        var token = _tokens.Get(_context.Store.Read(c => Guid.Parse((string)c.Scalar(null, "SELECT t.id FROM assignments s JOIN tokens t ON t.key = s.token_key WHERE s.id = $id", ("$id", id.ToString()))!)));
        ApplyResult? applied = null;
        if (reclaim)
        {
            TokenService.EnsureWritable(token);
            // Reclaiming is what Uninstall does: apply that, then forget the assignment.
            _context.Store.Write((c, t) =>
            {
                c.Execute(t, "UPDATE assignments SET intent = 'Uninstall', reclaim_immediately = CASE WHEN $now THEN 1 ELSE reclaim_immediately END WHERE id = $id",
                    ("$id", id.ToString()), ("$now", immediately));
                AssignmentPlanner.RequestFullPlan(c, t, (long)c.Scalar(t, "SELECT token_key FROM assignments WHERE id = $id", ("$id", id.ToString()))!);
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
        if (c.Scalar(t, "SELECT token_key FROM assignments WHERE id = $id", ("$id", assignmentId)) is long tokenKey) AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
        c.Execute(t, "UPDATE managed_licenses SET assignment_id = NULL, reason = 'kept after its assignment was removed (' || reason || ')' WHERE assignment_id = $id", ("$id", assignmentId));
        c.Execute(t, "UPDATE managed_seats SET assignment_id = NULL, reason = 'kept after its assignment was removed (' || reason || ')' WHERE assignment_id = $id", ("$id", assignmentId));
        c.Execute(t, "DELETE FROM assignments WHERE id = $id", ("$id", assignmentId));
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
                ? (long?)c.Scalar(t, "SELECT user_key FROM directory_users WHERE (user_principal_name = $x OR lower(mail) = lower($x)) AND removed_at IS NULL", ("$x", userPrincipalName))
                : (long?)c.Scalar(t, "SELECT device_key FROM directory_devices WHERE serial_number = $x AND removed_at IS NULL", ("$x", serialNumber));
            var who = userPrincipalName ?? serialNumber!;
            if (memberKey is null)
                throw new VppException(VppErrorKind.NotFound, "VppDirectoryMemberNotFound",
                    $"'{who}' is not in the VppPS directory. Add it to a group with Add-VppGroupMember (or Import-VppDirectory) first.", who);
            var covered = (long)c.Scalar(t, """
                SELECT count(*) FROM assignments s JOIN directory_groups g ON g.group_key = s.group_key JOIN group_members gm ON gm.group_key = s.group_key
                WHERE s.token_key = $k AND s.adam_id = $a AND s.pricing_param = $p AND s.intent IN ('Required', 'Available') AND gm.member_key = $m
                  AND ((g.kind = 'User' AND $kind = 0) OR (g.kind = 'Device' AND $kind = 1))
                """, ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$m", memberKey), ("$kind", kind))! > 0;
            if (!covered && !force)
                throw Refuse("VppLicenseNotAssigned",
                    $"No Required or Available assignment of '{asset.Name ?? asset.AdamId}' covers '{who}'. Assign the app to a group the member is in (Set-VppAssignment), or grant it directly with -Force.");
            c.Execute(t, """
                INSERT INTO license_requests (token_key, adam_id, pricing_param, target_kind, member_key, forced, requested_at) VALUES ($k, $a, $p, $kind, $m, $f, $now)
                ON CONFLICT (token_key, adam_id, pricing_param, target_kind, member_key) DO UPDATE SET forced = CASE WHEN license_requests.forced > excluded.forced THEN license_requests.forced ELSE excluded.forced END
                """, ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$kind", kind), ("$m", memberKey), ("$f", !covered ? 1 : 0),
                ("$now", _context.Clock.UtcNow.ToStored()));
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
        HashSet<string> Targets() => _context.Store.Read(c =>
        {
            using var command = c.Command(null, kind == 1
                ? "SELECT serial_number FROM directory_devices WHERE device_key = $m"
                : "SELECT mu.client_user_id FROM managed_users mu JOIN directory_users u ON u.id = mu.directory_user_id WHERE mu.token_key = $k AND u.user_key = $m",
                ("$k", tokenKey), ("$m", memberKey));
            using var reader = command.ExecuteReader();
            var set = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read()) set.Add(reader.GetString(0));
            return set;
        });
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
            var tokenKey = (long)c.Scalar(t, "SELECT key FROM tokens WHERE id = $id", ("$id", token.Id.ToString()))!;
            var memberKey = (long?)c.Scalar(t, "SELECT user_key FROM directory_users WHERE (user_principal_name = $x OR lower(mail) = lower($x)) AND removed_at IS NULL", ("$x", who))
                ?? throw new VppException(VppErrorKind.NotFound, "VppDirectoryMemberNotFound",
                    $"'{who}' is not in the VppPS directory. Add it to a group with Add-VppGroupMember (or Import-VppDirectory) first.", who);
            // A seat that lapses is given for the billing period the next apply finds (SeatPlanner.CoverBillingPeriods).
            c.Execute(t, """
                INSERT INTO license_requests (token_key, adam_id, pricing_param, target_kind, member_key, forced, requested_at, renewing)
                VALUES ($k, $a, '', 0, $m, 1, $now, $r)
                ON CONFLICT (token_key, adam_id, pricing_param, target_kind, member_key) DO UPDATE SET renewing = excluded.renewing, covers_period_end = NULL
                """, ("$k", tokenKey), ("$a", subscription.AdamId), ("$m", memberKey), ("$now", _context.Clock.UtcNow.ToStored()), ("$r", renewing ? 1L : 0L));
            AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
            // Never more seats than available, by the plan's own count (seats others wait for first).
            var plan = new AssignmentPlan { TokenName = token.Name, TokenKey = tokenKey };
            SeatPlanner.Plan(c, t, tokenKey, plan, PendingOperations.ReadInFlight(c, t, tokenKey), subscription.AdamId);
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
            var where = new List<string>();
            var parameters = new List<(string, object?)> { ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam) };
            if (!all)
            {
                var any = new List<string>();
                for (var i = 0; i < (users?.Length ?? 0); i++)
                {
                    any.Add($"(l.target_kind = 0 AND (l.target = $u{i} OR l.target IN (SELECT mu.client_user_id FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND (du.user_principal_name = $u{i} OR lower(du.mail) = lower($u{i})))))");
                    parameters.Add(($"$u{i}", users![i]));
                }
                for (var i = 0; i < (devices?.Length ?? 0); i++)
                {
                    any.Add($"(l.target_kind = 1 AND l.target = upper($d{i}))");
                    parameters.Add(($"$d{i}", devices![i]));
                }
                if (groupName is not null)
                {
                    var group = ResolveGroup(groupName);
                    any.Add(group.Kind == "Device"
                        ? "(l.target_kind = 1 AND l.target IN (SELECT d.serial_number FROM group_members gm JOIN directory_devices d ON d.device_key = gm.member_key WHERE gm.group_key = $g))"
                        : "(l.target_kind = 0 AND l.target IN (SELECT mu.client_user_id FROM group_members gm JOIN directory_users du ON du.user_key = gm.member_key JOIN managed_users mu ON mu.directory_user_id = du.id AND mu.token_key = $k WHERE gm.group_key = $g))");
                    parameters.Add(("$g", group.Key));
                }
                if (any.Count == 0)
                    throw Refuse("VppNoLicenseTarget", "Say whose licenses to reclaim: -User, -Device, -Group, or -All.");
                where.Add("(" + string.Join(" OR ", any) + ")");
            }
            if (!includeUnmanaged)
                where.Add("EXISTS (SELECT 1 FROM managed_licenses ml WHERE ml.token_key = $k AND ml.adam_id = $a AND ml.pricing_param = $p AND ml.target_kind = l.target_kind AND ml.target = l.target)");
            using var command = c.Command(null, $"""
                SELECT a.asset_key, l.target_kind, l.target FROM licenses l JOIN assets a ON a.asset_key = l.asset_key
                WHERE a.token_key = $k AND a.adam_id = $a AND a.pricing_param = $p {(where.Count > 0 ? "AND " + string.Join(" AND ", where) : "")}
                ORDER BY l.target
                """, parameters.ToArray());
            using var reader = command.ExecuteReader();
            var list = new List<LicenseChange>();
            while (reader.Read())
                list.Add(new LicenseChange(reader.GetInt64(0), asset.AdamId, asset.PricingParam, asset.Name, reader.GetInt32(1), reader.GetString(2), reader.GetString(2), null, null, null, "reclaimed with Remove-VppAppLicense"));
            return list;
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
                c.Execute(t, change.TargetKind == 0
                    ? "DELETE FROM license_requests WHERE token_key = $k AND adam_id = $a AND pricing_param = $p AND target_kind = 0 AND member_key IN (SELECT du.user_key FROM managed_users mu JOIN directory_users du ON du.id = mu.directory_user_id WHERE mu.token_key = $k AND mu.client_user_id = $x)"
                    : "DELETE FROM license_requests WHERE token_key = $k AND adam_id = $a AND pricing_param = $p AND target_kind = 1 AND member_key IN (SELECT device_key FROM directory_devices WHERE serial_number = $x)",
                    ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$x", change.Target));
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
        var errors = _context.Store.Read(c =>
        {
            using var command = c.Command(null, "SELECT adam_id, pricing_param, target_kind, target, coalesce(error_number || ' ', '') || coalesce(error_message, '') FROM license_failures");
            using var reader = command.ExecuteReader();
            var map = new Dictionary<(string, string, int, string), string>();
            while (reader.Read()) map[(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3))] = reader.GetString(4);
            return map;
        });
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
        return _context.Store.Read(c =>
        {
            using var command = c.Command(null, """
                SELECT a.token_key, t.id, t.name, a.adam_id, a.pricing_param, a.product_type, m.name, a.device_assignable, a.revocable, a.available_count
                FROM assets a JOIN tokens t ON t.key = a.token_key LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id
                WHERE (CAST($id AS TEXT) IS NULL OR a.adam_id = $id) AND (CAST($name AS TEXT) IS NULL OR lower(m.name) = lower(CAST($name AS TEXT)) OR a.adam_id = $name)
                  AND (CAST($token AS TEXT) IS NULL OR lower(t.name) = lower(CAST($token AS TEXT))) AND (CAST($tid AS TEXT) IS NULL OR t.id = $tid)
                  AND (CAST($p AS TEXT) IS NULL OR a.pricing_param = $p)
                ORDER BY t.name, a.pricing_param
                """, ("$id", selector.AdamId), ("$name", selector.Name), ("$token", selector.Token), ("$tid", selector.TokenId?.ToString()), ("$p", selector.PricingParam));
            using var reader = command.ExecuteReader();
            var list = new List<AssetRow>();
            while (reader.Read())
                list.Add(new AssetRow(reader.GetInt64(0), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                    reader.GetStringOrNull(6), reader.GetInt64(7) != 0, reader.GetInt64(8) != 0, reader.GetInt64(9)));
            return list;
        });
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

    private GroupRow ResolveGroup(string name) => _context.Store.Read(c =>
    {
        using var command = c.Command(null, "SELECT group_key, name, kind FROM directory_groups WHERE name = $n", ("$n", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new GroupRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : null;
    }) ?? throw new VppException(VppErrorKind.NotFound, "VppGroupNotFound", $"No group is named '{name}'. Create it with New-VppGroup, or see Get-VppGroup.", name);

    /// <summary>
    /// One license of an app per member: the same app (another token, or the other pricing) already
    /// Required or Available for the group would give each member a second license, which nobody
    /// wants and the planner cannot tell apart. Moving the group to another token goes through
    /// Uninstall (or removal) of the first assignment.
    /// </summary>
    private static void RefuseSecondSource(DbConnection c, DbTransaction t, AssetRow asset, GroupRow group, string tokenName)
    {
        using var command = c.Command(t, """
            SELECT tk.name, s.pricing_param, s.intent FROM assignments s JOIN tokens tk ON tk.key = s.token_key
            WHERE s.adam_id = $a AND s.group_key = $g AND s.intent IN ('Required', 'Available') AND NOT (s.token_key = $k AND s.pricing_param = $p)
            ORDER BY tk.name LIMIT 1
            """, ("$a", asset.AdamId), ("$g", group.Key), ("$k", asset.TokenKey), ("$p", asset.PricingParam));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return;
        var (otherToken, otherPricing, intent) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        var name = asset.Name ?? asset.AdamId;
        var other = string.Equals(otherToken, tokenName, StringComparison.OrdinalIgnoreCase) ? $"with the pricing {otherPricing}" : $"from the token '{otherToken}'";
        throw new VppException(VppErrorKind.InvalidArgument, "VppAppAssignedFromAnotherToken",
            $"'{name}' is already assigned to '{group.Name}' {other} ({intent}); assigning it from '{tokenName}' too would give every member a second license of the same app. " +
            $"Keep one token per app and group. To move the group to '{tokenName}', first set the other assignment to Uninstall " +
            $"(Set-VppAssignment -App '{name}' -Token '{otherToken}' -Group '{group.Name}' -Intent Uninstall) or remove it (Remove-VppAssignment), then assign again.",
            $"{name} -> {group.Name}");
    }

    private sealed record ExistingRow(Guid Id, LicenseType LicenseType);

    private static ExistingRow? ReadExisting(DbConnection c, DbTransaction t, AssetRow asset, GroupRow group)
    {
        using var command = c.Command(t, "SELECT id, license_type FROM assignments WHERE token_key = $k AND adam_id = $a AND pricing_param = $p AND group_key = $g",
            ("$k", asset.TokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam), ("$g", group.Key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new ExistingRow(Guid.Parse(reader.GetString(0)), Enum.Parse<LicenseType>(reader.GetString(1))) : null;
    }

    private static VppAssignment? Read(DbConnection c, DbTransaction? t, Guid id) => Query(c, t, " WHERE s.id = $id", [("$id", id.ToString())]).FirstOrDefault();

    private static List<VppAssignment> Query(DbConnection c, DbTransaction? t, string where, (string, object?)[] parameters)
    {
        using var command = c.Command(t, $"""
            SELECT s.id, m.name, s.adam_id, s.pricing_param, s.product_type, tk.name, g.name, g.kind, s.intent, s.license_type, s.allow_shortage, s.created_at, s.updated_at,
                   (SELECT count(*) FROM managed_licenses ml WHERE ml.assignment_id = s.id)
                   + (SELECT count(*) FROM managed_seats ms WHERE ms.assignment_id = s.id AND ms.ending_at IS NULL),
                   s.renewing, s.covers_period_end, CASE WHEN {SeatPlanner.Lapsed("s")} THEN 1 ELSE 0 END
            FROM assignments s JOIN tokens tk ON tk.key = s.token_key JOIN directory_groups g ON g.group_key = s.group_key
            LEFT JOIN asset_metadata m ON m.adam_id = s.adam_id
            LEFT JOIN subscriptions sb ON s.product_type = 'Subscription' AND sb.token_key = s.token_key AND sb.adam_id = s.adam_id{where}
            ORDER BY lower(coalesce(m.name, s.adam_id)), lower(g.name)
            """, parameters);
        using var reader = command.ExecuteReader();
        var list = new List<VppAssignment>();
        while (reader.Read())
            list.Add(new VppAssignment
            {
                Id = Guid.Parse(reader.GetString(0)),
                App = reader.GetStringOrNull(1),
                AdamId = reader.GetString(2),
                PricingParam = reader.GetString(3),
                ProductType = reader.GetString(4),
                Token = reader.GetString(5),
                Group = reader.GetString(6),
                GroupKind = reader.GetString(7),
                Intent = Enum.Parse<AssignmentIntent>(reader.GetString(8)),
                LicenseType = Enum.Parse<LicenseType>(reader.GetString(9)),
                AllowShortage = reader.GetInt64(10) != 0,
                CreatedDateTime = reader.GetString(11).ToDate(),
                LastModifiedDateTime = reader.GetString(12).ToDate(),
                LicensedCount = reader.GetInt64(13),
                Renewing = reader.GetString(4) == SubscriptionProductType ? reader.GetInt64(14) != 0 : null,
                CoversPeriodEnd = reader.GetString(4) == SubscriptionProductType && reader.GetInt64(14) == 0 && reader.GetStringOrNull(15) is { } end
                    ? DateTime.ParseExact(end, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : null,
                Lapsed = reader.GetInt64(16) != 0,
            });
        return list;
    }
}
