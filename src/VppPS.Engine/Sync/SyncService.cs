using VppPS.Engine.Apple;
using VppPS.Engine.Assignments;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Sync;

/// <summary>
/// Pulls what Apple knows about a token's location into the state: assets (apps and books,
/// custom B2B apps skipped), licenses (Apple's assignments), VPP users, and subscriptions with
/// their seats (<see cref="SubscriptionSync"/>). The first sync, and
/// then one a day, reads everything; the others read assignments and users incrementally from
/// the last versionId. Nothing of a pull becomes visible until the whole pull succeeded; the
/// assignments are applied after it (<see cref="AssignmentApplier"/>).
/// </summary>
public sealed class SyncService
{
    /// <summary>
    /// Apple's incremental reads do not list assignments removed since a version, so a full
    /// read at least this often catches licenses reclaimed outside VppPS.
    /// </summary>
    public static readonly TimeSpan FullSyncEvery = TimeSpan.FromHours(24);

    private const string B2BReason = "custom B2B app: not synchronized (as in Intune)";
    private readonly VppContext _context;
    private readonly TokenService _tokens;

    public SyncService(VppContext context)
    {
        _context = context;
        _tokens = new TokenService(context);
    }

    /// <param name="breakLease">Break the token's lease when another run holds it (Sync-VppToken -Force).</param>
    public async Task<SyncRun> SyncAsync(VppToken token, bool forceFull, CancellationToken cancellationToken, bool breakLease = false)
    {
        TokenService.EnsureUsable(token, "Cannot sync");
        using var syncLock = TokenLease.Acquire(_context, token, breakLease);
        var state = ReadState(syncLock.TokenKey);
        var full = forceFull || state.AssignmentsVersion is null || state.UsersVersion is null || state.FullSyncAt is null
                   || _context.Clock.UtcNow - state.FullSyncAt.Value > FullSyncEvery;
        var runs = new SyncRunStore(_context);
        var runId = runs.Start(token, full ? SyncKind.Full : SyncKind.Incremental);
        AppleClient? used = null;
        var pulled = false;
        try
        {
            var applied = await _tokens.CallAsync(token, async client =>
            {
                used = client;
                await PullAsync(client, token, syncLock.TokenKey, state, full, runId, cancellationToken).ConfigureAwait(false);
                pulled = true;
                // Then what the assignments want: licenses freed or bought since, members who joined or left.
                return await new AssignmentApplier(_context).ApplyAsync(_tokens.Get(token.Id), client, refreshCounts: false, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return runs.Get(runId) with { Applied = applied };
        }
        // The pull's run was recorded as completed with its data: a failure of the apply that follows is the caller's to see, not the pull's.
        catch (Exception e) when (!pulled)
        {
            // Whatever ended the run, it is recorded as failed; a database failure as VppPS tells it.
            var failure = e as VppException ?? _context.Store.Translate(e);
            runs.Fail(runId, token.Id, e is OperationCanceledException ? "cancelled" : (failure ?? e).Message, used?.RequestCount ?? 0);
            if (failure is null || ReferenceEquals(failure, e)) throw;
            throw failure;
        }
    }

    private async Task<bool> PullAsync(AppleClient client, VppToken token, long tokenKey, SyncCursors.Cursors state, bool full, long runId, CancellationToken cancellationToken)
    {
        var service = await client.GetServiceConfigAsync(cancellationToken).ConfigureAwait(false);
        // Alone first: an Apple that cannot be reached, or a token it refuses, fails this one request.
        var config = await client.GetClientConfigAsync(cancellationToken).ConfigureAwait(false);

        var assets = await client.ReadAllAssetsAsync(cancellationToken).ConfigureAwait(false);

        var metadata = new MetadataRefresher(_context);
        var bearer = _tokens.ReadBearer(token);
        var defaultPlatform = new TokenStore(_context.Store).ReadDefaultPlatform(token.Id);
        var b2b = await metadata.RefreshAsync(token, bearer, defaultPlatform, service, assets, client.RateLimiter, cancellationToken).ConfigureAwait(false);
        var skipped = assets.Where(a => b2b.Contains(a.AdamId)).Select(a => a.AdamId).Distinct().ToDictionary(id => id, _ => B2BReason);

        var phase = System.Diagnostics.Stopwatch.StartNew();
        using var staging = StagedInventory.Open(_context.Store);
        staging.AddAssets(assets, skipped);
        PagedReadResult assignments, users;
        // Subscriptions and their seats are read while licenses and users are: their own endpoints, their own versions.
        using var stopSubscriptions = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readSubscriptions = SubscriptionSync.ReadAsync(client, _context, tokenKey, full, stopSubscriptions.Token);
        try
        {
            (assignments, users) = await ReadLicensesAndUsersAsync(client, staging, full ? null : state, cancellationToken).ConfigureAwait(false);
        }
        catch (VppException e) when (!full && e.AppleErrorNumber == 9721)
        {
            _context.Observer.Warning($"Apple no longer knows the version VppPS last read for '{token.Name}' (9721); reading everything instead.");
            full = true;
            staging.RestartAssignments();
            staging.RestartUsers();
            (assignments, users) = await ReadLicensesAndUsersAsync(client, staging, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stopSubscriptions.CancelAsync().ConfigureAwait(false);
            await Observed(readSubscriptions).ConfigureAwait(false);
            throw;
        }
        var subscriptions = await readSubscriptions.ConfigureAwait(false);
        // Apple's subscription answers name no app: the parent apps' names come from the metadata lookup, as assets' do.
        await metadata.RefreshParentAppsAsync(token, bearer, defaultPlatform, service, subscriptions.Subscriptions.Items.Select(s => s.ParentAdamId),
            client.RateLimiter, cancellationToken).ConfigureAwait(false);
        var remind = false;

        var kind = full ? SyncKind.Full : SyncKind.Incremental;
        _context.Observer.Verbose($"{token.Name}: read {staging.Assignments:N0} assignments and {staging.Users:N0} users in {phase.Elapsed.TotalSeconds:0.00} s.");
        phase.Restart();
        var now = _context.Clock.UtcNow;
        var invitation = service.Urls is not null && service.Urls.TryGetValue("invitationEmail", out var template) ? template : null;
        staging.Apply(tokenKey, full, (c, t, counts) =>
        {
            // Nothing of this sync becomes visible if another run took the token's lease over meanwhile.
            _context.Leases.EnsureHeld(c, t, Lease.ForToken(tokenKey));
            SyncCursors.Complete(c, t, tokenKey, assignments.VersionId, users.VersionId, invitation, full, now);
            // Apple's incremental reads miss removed licenses: a full read may show what a plan must redo.
            if (full) AssignmentPlanner.RequestFullPlan(c, t, tokenKey);
            // VPP users VppPS made that a full read no longer lists (Apple lost them): forgotten, to be created again.
            if (full) AssignmentApplier.ForgetUsers(_context, c, t, tokenKey, null, "a full read of the users no longer lists them");
            remind = subscriptions.Save(c, t, tokenKey, now);
            if (config.TokenExpirationDate is { } expires)
                TokenStore.SetExpiration(c, t, tokenKey, expires);
            new SyncRunStore(_context).Complete(c, t, runId, kind, counts, client.RequestCount, token.Id);
            _context.Journal.Write(c, t, "token:" + token.Name, "Sync",
                $"{kind.ToString().ToLowerInvariant()} sync: {counts.Apps} apps, {counts.Books} books, {counts.Assignments} assignments and {counts.Users} users read, " +
                $"{counts.Skipped} skipped, {client.RequestCount} requests");
        });
        _context.Observer.Verbose($"{token.Name}: {subscriptions.Subscriptions.Items.Count} subscription(s), " +
            (subscriptions.Seats.Unchanged ? "seats unchanged since the last read" : $"{subscriptions.Seats.Items.Count:N0} seat(s) held") + ".");
        if (remind) _context.Observer.Warning(SubscriptionSync.Reminder(token.Name));
        _context.Observer.Verbose($"{token.Name}: saved in {phase.Elapsed.TotalSeconds:0.00} s.");
        return true;
    }

    /// <summary>Reads assignments then users, everything (<paramref name="since"/> null) or what changed since the recorded versions.</summary>
    private static async Task<(PagedReadResult Assignments, PagedReadResult Users)> ReadLicensesAndUsersAsync(
        AppleClient client, IInventoryStaging staging, SyncCursors.Cursors? since, CancellationToken cancellationToken)
    {
        var assignmentQuery = new AssignmentQuery { SinceVersionId = since?.AssignmentsVersion };
        var assignments = await ApplePaging.ReadAllAsync(
            ct => client.ReadAssignmentPagesAsync(assignmentQuery, ct),
            (page, _) => { staging.AddAssignments(page.Items); return ValueTask.CompletedTask; },
            _ => { staging.RestartAssignments(); return ValueTask.CompletedTask; },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var userQuery = new UserQuery { SinceVersionId = since?.UsersVersion };
        var users = await ApplePaging.ReadAllAsync(
            ct => client.ReadUserPagesAsync(userQuery, ct),
            (page, _) => { staging.AddUsers(page.Items); return ValueTask.CompletedTask; },
            _ => { staging.RestartUsers(); return ValueTask.CompletedTask; },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return (assignments, users);
    }

    /// <summary>Waits for a read whose result is no longer wanted, so that nothing of it runs on after the sync ended.</summary>
    private static async Task Observed(Task task)
    {
        try { await task.ConfigureAwait(false); }
        catch (Exception) { /* the sync already fails with another error */ }
    }

    private SyncCursors.Cursors ReadState(long tokenKey) => _context.Store.Read(c => SyncCursors.Read(c, tokenKey));
}
