using System.Text.Json;
using Microsoft.Data.Sqlite;
using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Assignments;

/// <summary>
/// Carries a token's plan out at Apple: VPP users created, licenses taken back, licenses given,
/// VPP users retired, each request packed to Apple's limits and followed to COMPLETE or FAILED.
/// Every request is journaled before it is sent (pending_operations) and the state is updated
/// from the event's outcome, so that a crash part-way is finished by the next run without
/// asking Apple twice, and running it again changes nothing.
/// </summary>
public sealed class AssignmentApplier
{
    private const int ProgressId = 4400;
    private readonly VppContext _context;

    public AssignmentApplier(VppContext context) => _context = context;

    public AssignmentPlan Plan(VppToken token) => _context.Store.Read(c => AssignmentPlanner.Plan(c, null, TokenKey(c, token), token.Name));

    /// <summary>Applies the token's plan with an open client; <paramref name="refreshCounts"/> re-reads Apple's license counts first.</summary>
    public async Task<ApplyResult> ApplyAsync(VppToken token, AppleClient client, bool refreshCounts, CancellationToken cancellationToken)
    {
        TokenService.EnsureWritable(token);
        var tokenKey = _context.Store.Read(c => TokenKey(c, token));
        var requestsBefore = client.RequestCount;
        await FinishPendingAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
        if (refreshCounts) await RefreshCountsAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
        var limits = await client.GetLimitsAsync(cancellationToken).ConfigureAwait(false);

        _context.Store.Write((c, t) => AssignmentPlanner.AdoptKeptLicenses(c, t, tokenKey));
        var plan = _context.Store.Read(c => AssignmentPlanner.Plan(c, null, tokenKey, token.Name, fromChanges: true));
        var created = 0;
        if (plan.UsersToCreate.Count > 0)
        {
            created = await CreateUsersAsync(client, tokenKey, plan.UsersToCreate, limits, cancellationToken).ConfigureAwait(false);
            plan = _context.Store.Read(c => AssignmentPlanner.Plan(c, null, tokenKey, token.Name, fromChanges: plan.Incremental));
        }

        var counts = new Counts();
        var requests = PackDisassociations(plan.Disassociations, limits);
        // Targets wanting the same set of assets share requests: 25 apps for 100,000 devices take 100 calls, not 2,500.
        var associations = plan.Associations.Where(a => a.Target is not null).ToList();
        foreach (var sameAssets in associations.GroupBy(a => (a.TargetKind, a.Target!)).GroupBy(t => string.Join(",", t.Select(x => x.AssetKey).Order())))
        {
            var assets = sameAssets.First().Select(x => new RequestAsset { AdamId = x.AdamId, PricingParam = x.PricingParam }).ToList();
            var changes = sameAssets.SelectMany(t => t).ToList();
            foreach (var request in Pack(assets, changes, limits))
                requests.Add(("associate", request.Request, request.Changes));
        }

        await SendAsync(client, tokenKey, token.Name, requests, counts, cancellationToken).ConfigureAwait(false);

        var retired = plan.UsersToRetire.Count > 0 ? await RetireUsersAsync(client, tokenKey, plan.UsersToRetire, limits, cancellationToken).ConfigureAwait(false) : 0;
        var complete = counts.Failed == 0 && plan.Waiting.Count == 0 && plan.UsersToCreate.Count == created;
        _context.Store.Write((c, t) => AssignmentPlanner.RecordPlanned(c, t, tokenKey, plan.PlannedSeq, complete, plan.FullPlanRequests));
        var result = new ApplyResult
        {
            Token = token.Name,
            UsersCreated = created,
            UsersRetired = retired,
            Associated = counts.Associated,
            Disassociated = counts.Disassociated,
            Failed = counts.Failed,
            Waiting = plan.Waiting.Count,
            Requests = (int)(client.RequestCount - requestsBefore),
        };
        if (result.Changed || result.Failed > 0)
            _context.Store.Write((c, t) => _context.Journal.Write(c, t, "token:" + token.Name, "Apply",
                $"assignments applied: {result.Associated} licenses given, {result.Disassociated} taken back, {result.UsersCreated} VPP users created, " +
                $"{result.UsersRetired} retired, {result.Failed} failed, {result.Waiting} waiting for licenses, {result.Requests} requests"));
        return result;
    }

    /// <summary>Takes licenses back now (Remove-VppAppLicense), outside any plan.</summary>
    public async Task<ApplyResult> ReclaimAsync(VppToken token, AppleClient client, IReadOnlyList<LicenseChange> changes, CancellationToken cancellationToken)
    {
        TokenService.EnsureWritable(token);
        var tokenKey = _context.Store.Read(c => TokenKey(c, token));
        var requestsBefore = client.RequestCount;
        var limits = await client.GetLimitsAsync(cancellationToken).ConfigureAwait(false);
        var counts = new Counts();
        await SendAsync(client, tokenKey, token.Name, PackDisassociations(changes, limits), counts, cancellationToken).ConfigureAwait(false);
        return new ApplyResult { Token = token.Name, Disassociated = counts.Disassociated, Failed = counts.Failed, Requests = (int)(client.RequestCount - requestsBefore) };
    }

    private static List<(string Kind, ManageAssetsRequest Request, IReadOnlyList<LicenseChange> Changes)> PackDisassociations(IReadOnlyList<LicenseChange> changes, AppleLimits limits)
    {
        var requests = new List<(string, ManageAssetsRequest, IReadOnlyList<LicenseChange>)>();
        foreach (var asset in changes.GroupBy(d => (d.AdamId, d.PricingParam)))
            foreach (var request in Pack([new RequestAsset { AdamId = asset.Key.AdamId, PricingParam = asset.Key.PricingParam }], asset.ToList(), limits))
                requests.Add(("disassociate", request.Request, request.Changes));
        return requests;
    }

    private async Task SendAsync(AppleClient client, long tokenKey, string tokenName, List<(string Kind, ManageAssetsRequest Request, IReadOnlyList<LicenseChange> Changes)> requests,
        Counts counts, CancellationToken cancellationToken)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            var (kind, request, changes) = requests[i];
            _context.Observer.Progress(ProgressId, $"Applying assignments under {tokenName}", $"{kind} request {i + 1} of {requests.Count}", i * 100 / requests.Count);
            var status = await SubmitAsync(client, tokenKey, kind, request, changes, cancellationToken).ConfigureAwait(false);
            Record(tokenKey, kind, changes, status, counts);
        }
        if (requests.Count > 0) _context.Observer.Progress(ProgressId, $"Applying assignments under {tokenName}", "done", 100, completed: true);
    }

    private sealed class Counts
    {
        public int Associated;
        public int Disassociated;
        public int Failed;
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

    /// <summary>Journals the request, sends it, records the event id, and waits for Apple's outcome.</summary>
    private async Task<StatusResponse> SubmitAsync(AppleClient client, long tokenKey, string kind, ManageAssetsRequest request, IReadOnlyList<LicenseChange> changes,
        CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.Serialize(new PendingPayload(request.Assets.Select(a => $"{a.AdamId}|{a.PricingParam}").ToList(), request.ClientUserIds, request.SerialNumbers,
            changes.Select(c => new PendingChange(c.AdamId, c.PricingParam, c.TargetKind, c.Target!, c.AssignmentId, c.Reason)).ToList()));
        var operation = _context.Store.Write((c, t) =>
        {
            _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // nothing is sent once another run took the token over
            c.Execute(t, "INSERT INTO pending_operations (token_key, kind, payload, status, submitted_at) VALUES ($k, $kind, $p, 'submitting', $at)",
                ("$k", tokenKey), ("$kind", kind), ("$p", payload), ("$at", _context.Clock.UtcNow.ToStored()));
            return c.LastInsertRowId(t);
        });
        var submitted = kind == "associate"
            ? await client.AssociateAssetsAsync(request, cancellationToken).ConfigureAwait(false)
            : await client.DisassociateAssetsAsync(request, cancellationToken).ConfigureAwait(false);
        _context.Store.Write((c, t) => c.Execute(t, "UPDATE pending_operations SET event_id = $e, status = 'submitted' WHERE id = $id",
            ("$e", submitted.EventId), ("$id", operation)));
        var status = await client.WaitForEventAsync(submitted.EventId, cancellationToken).ConfigureAwait(false);
        _context.Store.Write((c, t) =>
        {
            _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey)); // taken over: the request stays 'submitted' for the new holder to follow up
            c.Execute(t, "UPDATE pending_operations SET status = $s, completed_at = $at WHERE id = $id",
                ("$s", status.IsPending ? "pending" : "done"), ("$at", _context.Clock.UtcNow.ToStored()), ("$id", operation));
        });
        return status;
    }

    /// <summary>Brings the state in line with an event's outcome: what succeeded is held (or freed), what failed is recorded to retry.</summary>
    private void Record(long tokenKey, string kind, IReadOnlyList<PendingChange> changes, StatusResponse status, Counts? counts) =>
        _context.Store.Write((c, t) => RecordIn(c, t, tokenKey, kind, changes, status, counts));

    private void Record(long tokenKey, string kind, IReadOnlyList<LicenseChange> changes, StatusResponse status, Counts counts) =>
        Record(tokenKey, kind, changes.Select(c => new PendingChange(c.AdamId, c.PricingParam, c.TargetKind, c.Target!, c.AssignmentId, c.Reason)).ToList(), status, counts);

    private void RecordIn(SqliteConnection c, SqliteTransaction t, long tokenKey, string kind, IReadOnlyList<PendingChange> changes, StatusResponse status, Counts? counts)
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
        var k = ("$k", (object?)tokenKey);
        foreach (var ((adamId, targetKind, target), failure) in failed)
        {
            var pricing = changes.First(x => x.AdamId == adamId && x.TargetKind == targetKind && x.Target == target).PricingParam;
            c.Execute(t, """
                INSERT INTO license_failures VALUES ($k, $a, $p, $kind, $x, $n, $m, $now)
                ON CONFLICT DO UPDATE SET error_number = excluded.error_number, error_message = excluded.error_message, failed_at = excluded.failed_at
                """, k, ("$a", adamId), ("$p", pricing), ("$kind", targetKind), ("$x", target), ("$n", failure.ErrorNumber), ("$m", failure.ErrorMessage), ("$now", now));
        }
        if (counts is not null) counts.Failed += failed.Count;
        if (failed.Count > 0 || counts is null) AssignmentPlanner.RequestFullPlan(c, t, tokenKey);

        // What succeeded, applied set-wise: an event carries up to 25 assets x 1000 targets.
        c.Execute(t, """
            CREATE TEMP TABLE IF NOT EXISTS event_changes (adam_id TEXT, pricing_param TEXT, target_kind INTEGER, target TEXT, reason TEXT, assignment_id TEXT);
            DELETE FROM event_changes;
            """);
        var succeeded = 0;
        using (var insert = c.Command(t, "INSERT INTO event_changes VALUES ($a, $p, $kind, $x, $r, $s)",
                   ("$a", null), ("$p", null), ("$kind", null), ("$x", null), ("$r", null), ("$s", null)))
        {
            insert.Prepare();
            foreach (var change in changes)
            {
                if (failed.ContainsKey((change.AdamId, change.TargetKind, change.Target))) continue;
                insert.Parameters[0].Value = change.AdamId;
                insert.Parameters[1].Value = change.PricingParam;
                insert.Parameters[2].Value = change.TargetKind;
                insert.Parameters[3].Value = change.Target;
                insert.Parameters[4].Value = change.Reason;
                insert.Parameters[5].Value = (object?)change.AssignmentId ?? DBNull.Value;
                insert.ExecuteNonQuery();
                succeeded++;
            }
        }
        const string Changed = """
            SELECT a.asset_key, e.target_kind, e.target, e.adam_id, e.pricing_param FROM event_changes e
            JOIN assets a ON a.token_key = $k AND a.adam_id = e.adam_id AND a.pricing_param = e.pricing_param
            """;
        c.Execute(t, "DELETE FROM license_failures WHERE token_key = $k AND (adam_id, pricing_param, target_kind, target) IN (SELECT adam_id, pricing_param, target_kind, target FROM event_changes)", k);
        if (kind == "associate")
        {
            // Counts first: only licenses Apple did not already hold change them.
            c.Execute(t, $"""
                UPDATE assets SET assigned_count = assigned_count + x.n, available_count = available_count - x.n
                FROM (SELECT c.asset_key AS asset_key, count(*) AS n FROM ({Changed}) c
                      WHERE NOT EXISTS (SELECT 1 FROM licenses l WHERE l.asset_key = c.asset_key AND l.target_kind = c.target_kind AND l.target = c.target)
                      GROUP BY c.asset_key) x
                WHERE assets.asset_key = x.asset_key
                """, k);
            c.Execute(t, $"INSERT OR IGNORE INTO licenses (asset_key, target_kind, target) SELECT asset_key, target_kind, target FROM ({Changed}) ORDER BY 1, 2, 3", k);
            c.Execute(t, """
                INSERT INTO managed_licenses (token_key, adam_id, pricing_param, target_kind, target, reason, assigned_at, assignment_id)
                SELECT $k, adam_id, pricing_param, target_kind, target, reason, $now, assignment_id FROM event_changes WHERE true
                ON CONFLICT DO UPDATE SET reason = excluded.reason, assignment_id = excluded.assignment_id
                """, k, ("$now", now));
            if (counts is not null) counts.Associated += succeeded;
        }
        else
        {
            c.Execute(t, $"""
                UPDATE assets SET assigned_count = assigned_count - x.n, available_count = available_count + x.n
                FROM (SELECT c.asset_key AS asset_key, count(*) AS n FROM ({Changed}) c
                      WHERE EXISTS (SELECT 1 FROM licenses l WHERE l.asset_key = c.asset_key AND l.target_kind = c.target_kind AND l.target = c.target)
                      GROUP BY c.asset_key) x
                WHERE assets.asset_key = x.asset_key
                """, k);
            c.Execute(t, $"DELETE FROM licenses WHERE (asset_key, target_kind, target) IN (SELECT asset_key, target_kind, target FROM ({Changed}))", k);
            c.Execute(t, "DELETE FROM managed_licenses WHERE token_key = $k AND (adam_id, pricing_param, target_kind, target) IN (SELECT adam_id, pricing_param, target_kind, target FROM event_changes)", k);
            if (counts is not null) counts.Disassociated += succeeded;
        }
    }

    /// <summary>Requests a crash left behind: sent ones are followed to their outcome; unsent-or-unknown ones are left to the plan.</summary>
    private async Task FinishPendingAsync(AppleClient client, long tokenKey, CancellationToken cancellationToken)
    {
        var pending = _context.Store.Read(c =>
        {
            using var command = c.Command(null, "SELECT id, kind, payload, event_id, status FROM pending_operations WHERE token_key = $k AND status IN ('submitting', 'submitted', 'pending')", ("$k", tokenKey));
            using var reader = command.ExecuteReader();
            var rows = new List<(long Id, string Kind, string Payload, string? EventId)>();
            while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3)));
            return rows;
        });
        foreach (var (id, kind, payload, eventId) in pending)
        {
            if (eventId is null)
            {
                // Sent or not, nobody knows: the sync that precedes planning shows what Apple holds.
                _context.Store.Write((c, t) => c.Execute(t, "UPDATE pending_operations SET status = 'unknown' WHERE id = $id", ("$id", id)));
                continue;
            }
            _context.Observer.Verbose($"Following up {kind} event {eventId} left by an earlier run.");
            var status = await client.WaitForEventAsync(eventId, cancellationToken).ConfigureAwait(false);
            var changes = JsonSerializer.Deserialize<PendingPayload>(payload)!.Changes;
            _context.Store.Write((c, t) =>
            {
                if (kind is "associate" or "disassociate") RecordIn(c, t, tokenKey, kind, changes, status, null);
                c.Execute(t, "UPDATE pending_operations SET status = 'done', completed_at = $at WHERE id = $id", ("$at", _context.Clock.UtcNow.ToStored()), ("$id", id));
            });
        }
    }

    /// <summary>Re-reads Apple's counts so that no association asks for more than is available now.</summary>
    private async Task RefreshCountsAsync(AppleClient client, long tokenKey, CancellationToken cancellationToken)
    {
        var assets = await client.ReadAllAssetsAsync(cancellationToken).ConfigureAwait(false);
        _context.Store.Write((c, t) =>
        {
            foreach (var asset in assets)
                c.Execute(t, """
                    UPDATE assets SET total_count = $total, assigned_count = $assigned, available_count = $available, retired_count = $retired
                    WHERE token_key = $k AND adam_id = $a AND pricing_param = $p
                    """, ("$total", asset.TotalCount), ("$assigned", asset.AssignedCount), ("$available", asset.AvailableCount), ("$retired", asset.RetiredCount),
                    ("$k", tokenKey), ("$a", asset.AdamId), ("$p", asset.PricingParam ?? "STDQ"));
        });
    }

    private async Task<int> CreateUsersAsync(AppleClient client, long tokenKey, IReadOnlyList<VppUserToCreate> people, AppleLimits limits, CancellationToken cancellationToken)
    {
        // The clientUserId is VppPS's own, never derived from a person's address (Apple's privacy advice).
        var ids = people.ToDictionary(p => p.UserKey, _ => "vppps-" + Guid.NewGuid().ToString("N"));
        var byClientId = people.ToDictionary(p => ids[p.UserKey]);
        var created = 0;
        foreach (var request in AppleRequestBatcher.PackUsers(people.Select(p => new RequestUser
                 { ClientUserId = ids[p.UserKey], Email = p.Mail ?? p.UserPrincipalName, ManagedAppleId = p.ManagedAppleId }), limits))
        {
            var status = await client.SubmitAndWaitAsync(ct => client.CreateUsersAsync(request, ct), cancellationToken).ConfigureAwait(false);
            var failed = (status.Failures ?? []).SelectMany(f => f.ErrorInfo?.ClientUserIds ?? []).ToHashSet();
            foreach (var failure in status.Failures ?? [])
                _context.Observer.Warning($"Apple could not create VPP users ({failure.ErrorNumber} {failure.ErrorMessage}): {string.Join(", ", (failure.ErrorInfo?.ClientUserIds ?? []).Select(id => byClientId.TryGetValue(id, out var p) ? p.UserPrincipalName : id))}. They are tried again at the next sync.");
            _context.Store.Write((c, t) =>
            {
                _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey));
                foreach (var user in request.Users.Where(u => !failed.Contains(u.ClientUserId)))
                {
                    var person = byClientId[user.ClientUserId];
                    c.Execute(t, "INSERT INTO managed_users (token_key, client_user_id, directory_user_id, created_at) VALUES ($k, $c, $d, $at)",
                        ("$k", tokenKey), ("$c", user.ClientUserId), ("$d", person.DirectoryUserId), ("$at", _context.Clock.UtcNow.ToStored()));
                    c.Execute(t, "INSERT OR REPLACE INTO vpp_users (token_key, client_user_id, email, status) VALUES ($k, $c, $e, $s)",
                        ("$k", tokenKey), ("$c", user.ClientUserId), ("$e", user.Email), ("$s", user.ManagedAppleId is null ? "Registered" : "Associated"));
                    created++;
                }
                _context.Journal.Write(c, t, "vpp-users", "Create", $"{request.Users.Count - failed.Count} VPP user(s) created: {string.Join(", ", request.Users.Where(u => !failed.Contains(u.ClientUserId)).Select(u => byClientId[u.ClientUserId].UserPrincipalName).Take(20))}");
            });
        }
        await RefreshUsersAsync(client, tokenKey, cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary>Reads users changed since the last read, for the invite codes of the users just created.</summary>
    private async Task RefreshUsersAsync(AppleClient client, long tokenKey, CancellationToken cancellationToken)
    {
        var since = _context.Store.Read(c => (string?)c.Scalar(null, "SELECT users_version FROM sync_state WHERE token_key = $k", ("$k", tokenKey)));
        var (users, versionId) = await client.ReadAllUsersAsync(new UserQuery { SinceVersionId = since }, cancellationToken).ConfigureAwait(false);
        _context.Store.Write((c, t) =>
        {
            foreach (var user in users.OrderBy(u => u.Status is "Retired" or "Deleted" ? 0 : 1))
                c.Execute(t, "INSERT OR REPLACE INTO vpp_users (token_key, client_user_id, email, status, invite_code, id_hash) VALUES ($k, $c, $e, $s, $i, $h)",
                    ("$k", tokenKey), ("$c", user.ClientUserId), ("$e", user.Email), ("$s", user.Status ?? "Registered"), ("$i", user.InviteCode), ("$h", user.IdHash));
            if (since is not null && versionId is not null)
                c.Execute(t, "UPDATE sync_state SET users_version = $v WHERE token_key = $k", ("$v", versionId), ("$k", tokenKey));
        });
    }

    private async Task<int> RetireUsersAsync(AppleClient client, long tokenKey, IReadOnlyList<VppUserToRetire> users, AppleLimits limits, CancellationToken cancellationToken)
    {
        var retired = 0;
        foreach (var request in AppleRequestBatcher.PackUsers(users.Select(u => new RequestUser { ClientUserId = u.ClientUserId }), limits))
        {
            var status = await client.SubmitAndWaitAsync(ct => client.RetireUsersAsync(request, ct), cancellationToken).ConfigureAwait(false);
            var failed = (status.Failures ?? []).SelectMany(f => f.ErrorInfo?.ClientUserIds ?? []).ToHashSet();
            _context.Store.Write((c, t) =>
            {
                _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey));
                foreach (var user in request.Users.Where(u => !failed.Contains(u.ClientUserId)))
                {
                    var k = new (string, object?)[] { ("$k", tokenKey), ("$c", user.ClientUserId), ("$at", _context.Clock.UtcNow.ToStored()) };
                    c.Execute(t, "UPDATE managed_users SET retired_at = $at WHERE token_key = $k AND client_user_id = $c", k);
                    c.Execute(t, "UPDATE vpp_users SET status = 'Retired' WHERE token_key = $k AND client_user_id = $c", k);
                    // Retiring releases the user's revocable licenses; books stay (irrevocable).
                    c.Execute(t, """
                        DELETE FROM managed_licenses WHERE token_key = $k AND target_kind = 0 AND target = $c AND EXISTS (SELECT 1 FROM assets a
                            WHERE a.token_key = $k AND a.adam_id = managed_licenses.adam_id AND a.pricing_param = managed_licenses.pricing_param AND a.revocable = 1)
                        """, k);
                    c.Execute(t, "DELETE FROM licenses WHERE target_kind = 0 AND target = $c AND asset_key IN (SELECT asset_key FROM assets WHERE token_key = $k AND revocable = 1)", k);
                    retired++;
                }
                _context.Journal.Write(c, t, "vpp-users", "Retire", $"{request.Users.Count - failed.Count} VPP user(s) retired (removed from the directory): {string.Join(", ", users.Where(u => request.Users.Any(r => r.ClientUserId == u.ClientUserId)).Select(u => u.UserPrincipalName).Take(20))}");
            });
        }
        return retired;
    }

    private static long TokenKey(SqliteConnection c, VppToken token) =>
        (long?)c.Scalar(null, "SELECT key FROM tokens WHERE id = $id", ("$id", token.Id.ToString()))
        ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"The token '{token.Name}' no longer exists.", token.Name);

    private sealed record PendingPayload(IReadOnlyList<string> Assets, IReadOnlyList<string>? ClientUserIds, IReadOnlyList<string>? SerialNumbers, IReadOnlyList<PendingChange> Changes);

    private sealed record PendingChange(string AdamId, string PricingParam, int TargetKind, string Target, string? AssignmentId, string Reason);
}
