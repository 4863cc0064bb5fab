using System.Globalization;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Tests.Apple;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Subscriptions;

/// <summary>Sync of subscriptions and seats against the simulator (spec 2.10): cursor paging, versionId, incremental reads, period end, the declaration and 9818.</summary>
[Collection("Simulator")]
public sealed class SubscriptionSyncTests
{
    private const string Riverside = "Riverside High School";

    private static List<string> StateSubscriptions(EngineHarness h) =>
        new SubscriptionService(h.Context).List([h.Token.Id])
            .Select(s => $"{s.AdamId}|{s.ParentAdamId}|{s.Status}|{s.PeriodEndDate:yyyy-MM-dd}|{s.AssignedRenewing}/{s.AssignedExpiring}|{s.AvailableRenewing}/{s.AvailableExpiring}|{s.TotalRenewing}/{s.TotalExpiring}")
            .Order(StringComparer.Ordinal).ToList();

    private static List<string> SimSubscriptions(EngineHarness h) =>
        h.Sim.GetSubscriptions(h.Location)
            .Select(s => $"{s.AdamId}|{s.ParentAdamId}|{s.Status}|{s.PeriodEndDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}|{s.AssignedRenewing}/{s.AssignedExpiring}|{s.AvailableRenewing}/{s.AvailableExpiring}|{s.TotalRenewing}/{s.TotalExpiring}")
            .Order(StringComparer.Ordinal).ToList();

    private static List<string> StateSeats(EngineHarness h) =>
        new SubscriptionService(h.Context).Seats([h.Token.Id]).Select(s => $"{s.AdamId}|{s.ClientUserId}|{s.Renewing}").Order(StringComparer.Ordinal).ToList();

    private static List<string> SimSeats(EngineHarness h) =>
        h.Sim.GetSubscriptionAssignments(h.Location).Select(s => $"{s.AdamId}|{s.ClientUserId}|{s.Renewing}").Order(StringComparer.Ordinal).ToList();

    private static void AssertSame(EngineHarness h)
    {
        Assert.Equal(SimSubscriptions(h), StateSubscriptions(h));
        Assert.Equal(SimSeats(h), StateSeats(h));
    }

    private static VppContext Observed(EngineHarness h, RecordingObserver observer) => new(h.Context.Session, "xunit", observer);

    private static Task<VppPS.Engine.Sync.SyncRun> SyncAsync(EngineHarness h, VppContext context, bool full = false) =>
        new VppPS.Engine.Sync.SyncService(context).SyncAsync(new TokenService(context).Get(h.Token.Id), full, CancellationToken.None);

    [Fact]
    public async Task A_full_sync_reads_every_subscription_and_seat_page_by_page_and_reminds_once_to_declare()
    {
        // Pages of 2: Riverside's 3 subscriptions and 8 seats take several cursor pages each.
        await using var h = await EngineHarness.StartDemoAsync(Riverside, s => s.PageSize = 2);
        var observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer), full: true);

        AssertSame(h);
        Assert.Equal(8, StateSeats(h).Count);
        Assert.Contains(StateSubscriptions(h), s => s.StartsWith("1640000103|719219382|INACTIVE|", StringComparison.Ordinal) && s.EndsWith("|0/0|0/0|0/0", StringComparison.Ordinal));
        var reminders = observer.VerboseLines.Where(l => l.StartsWith("WARNING: ", StringComparison.Ordinal) && l.Contains("-SubscriptionManagement Enabled", StringComparison.Ordinal)).ToList();
        var reminder = Assert.Single(reminders);
        Assert.Contains($"Set-VppToken -Name '{Riverside}'", reminder);
        Assert.Null(h.CurrentToken.SubscriptionManagement);

        await SyncAsync(h, Observed(h, observer), full: true);
        Assert.Single(observer.VerboseLines.Where(l => l.Contains("-SubscriptionManagement Enabled", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_token_without_subscriptions_is_not_reminded()
    {
        await using var h = await EngineHarness.StartDemoAsync("Oak Park Elementary");
        var observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer));
        Assert.Empty(StateSubscriptions(h));
        Assert.DoesNotContain(observer.VerboseLines, l => l.Contains("SubscriptionManagement", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Data_that_changes_during_a_cursor_read_is_read_again_from_the_first_page()
    {
        await using var h = await EngineHarness.StartDemoAsync(Riverside, s => s.PageSize = 2);
        h.Sim.ScheduleFault(Riverside, new SimulatorFault { Kind = SimulatorFaultKind.VersionChange, Path = "subscriptions/assignments", MinPageIndex = 2 });
        var observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer), full: true);
        AssertSame(h);
        Assert.Contains(observer.VerboseLines, l => l.Contains("Reading again from the first page", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_incremental_sync_reads_one_seat_page_when_nothing_changed_and_every_page_when_something_did()
    {
        await using var h = await EngineHarness.StartDemoAsync(Riverside, s => s.PageSize = 2);
        await h.SyncAsync(forceFull: true);

        var observer = new RecordingObserver();
        var before = h.Sim.GetRequestStats(Riverside).Requests;
        var run = await SyncAsync(h, Observed(h, observer));
        Assert.Equal(VppPS.Engine.Sync.SyncKind.Incremental, run.Kind);
        Assert.Contains(observer.VerboseLines, l => l.Contains("seats unchanged since the last read", StringComparison.Ordinal));
        AssertSame(h);

        // Seats bought and a seat given at Apple: the versionId moves, the seats are read again.
        h.Sim.BuySubscriptionSeats(Riverside, 1640000102, renewing: 3, expiring: 1);
        observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer));
        Assert.DoesNotContain(observer.VerboseLines, l => l.Contains("seats unchanged", StringComparison.Ordinal));
        AssertSame(h);
        Assert.True(h.Sim.GetRequestStats(Riverside).Requests > before);
    }

    [Fact]
    public async Task The_period_end_is_seen_by_the_next_sync_expiring_seats_gone_and_the_date_moved_on()
    {
        await using var h = await EngineHarness.StartDemoAsync(Riverside);
        await h.SyncAsync(forceFull: true);
        var reads = new SubscriptionService(h.Context).List([h.Token.Id]).Single(s => s.AdamId == "1640000101");
        Assert.Equal((10, 3), (reads.SeatsLapsing, reads.AssignmentsEnding));

        h.Sim.AdvanceClock(TimeSpan.FromDays(46));
        await h.SyncAsync();

        AssertSame(h);
        var after = new SubscriptionService(h.Context).List([h.Token.Id]).Single(s => s.AdamId == "1640000101");
        Assert.Equal(0, after.TotalExpiring);
        Assert.Equal(0, after.AssignedExpiring);
        Assert.Equal(reads.PeriodEndDate!.Value.AddDays(365), after.PeriodEndDate);
        Assert.DoesNotContain(StateSeats(h), s => s.StartsWith("1640000101|rusd-rhs-s-1002|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Declaring_is_sent_to_Apple_and_kept_and_disabling_where_subscriptions_exist_is_refused_with_9818()
    {
        await using var h = await EngineHarness.StartDemoAsync(Riverside);
        var service = new SubscriptionService(h.Context);

        var token = await service.DeclareAsync(h.CurrentToken, SubscriptionManagement.Enabled, CancellationToken.None);
        Assert.Equal(SubscriptionManagement.Enabled, token.SubscriptionManagement);
        Assert.True(h.Sim.GetSubscriptionManagement(Riverside));

        var e = await Assert.ThrowsAsync<VppException>(() => service.DeclareAsync(h.CurrentToken, SubscriptionManagement.Disabled, CancellationToken.None));
        Assert.Equal(("VppSubscriptionsExist", 9818), (e.ErrorId, e.AppleErrorNumber));
        Assert.Contains("still owns subscriptions", e.Message);
        Assert.Contains(Riverside, e.Message);
        Assert.Equal(SubscriptionManagement.Enabled, h.CurrentToken.SubscriptionManagement);
        Assert.True(h.Sim.GetSubscriptionManagement(Riverside));

        // Declared: the first sync does not remind.
        var observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer));
        Assert.DoesNotContain(observer.VerboseLines, l => l.Contains("-SubscriptionManagement", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_unit_without_subscriptions_can_be_declared_disabled()
    {
        await using var h = await EngineHarness.StartDemoAsync("Oak Park Elementary");
        var token = await new SubscriptionService(h.Context).DeclareAsync(h.CurrentToken, SubscriptionManagement.Disabled, CancellationToken.None);
        Assert.Equal(SubscriptionManagement.Disabled, token.SubscriptionManagement);
        Assert.False(h.Sim.GetSubscriptionManagement("Oak Park Elementary"));
    }

    /// <summary>The metadata requests (legacy lookup or metadata API) that asked for <paramref name="adamId"/>.</summary>
    private static int LookupsOf(RecordingObserver observer, string adamId) =>
        observer.VerboseLines.Count(l => l.StartsWith("GET ", StringComparison.Ordinal) && l.Contains("-> ", StringComparison.Ordinal)
                                         && (l.Contains("/lookup?", StringComparison.Ordinal) || l.Contains("/catalog/", StringComparison.Ordinal)) && l.Contains(adamId, StringComparison.Ordinal));

    [Theory]
    [InlineData(false)]   // the legacy lookup: no credential needed
    [InlineData(true)]    // the metadata API with a developer key
    public async Task A_sync_looks_up_the_names_of_its_subscriptions_parent_apps_once_with_the_assets_lookup(bool developerKey)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await using var h = await EngineHarness.StartDemoAsync(Riverside, s =>
        {
            if (developerKey) s.DeveloperKeys = [new() { TeamId = "TEAM000001", KeyId = "KEY0000001", PublicKeyPem = key.ExportSubjectPublicKeyInfoPem() }];
        });
        if (developerKey) new VppPS.Engine.Sync.MetadataCredentialStore(h.Context).Save("TEAM000001", "KEY0000001", key.ExportPkcs8PrivateKeyPem());
        var observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer), full: true);

        var subscriptions = new SubscriptionService(h.Context).List([h.Token.Id]).ToDictionary(s => s.AdamId);
        // 719219382 is no asset of any location: only the parent lookup names it. Notability (360593530) is an asset of the token.
        Assert.Equal(("Riverside Reads", "Riverside Reads", "Riverside Reads (1640000101)"),
            (subscriptions["1640000101"].ParentApp, subscriptions["1640000101"].ParentAppName, subscriptions["1640000101"].DisplayName));
        Assert.Equal("Riverside Reads (1640000103)", subscriptions["1640000103"].DisplayName);
        Assert.Equal("Notability (1640000102)", subscriptions["1640000102"].DisplayName);
        Assert.All(new SubscriptionService(h.Context).Seats([h.Token.Id]).Where(s => s.AdamId == "1640000101"),
            s => Assert.Equal(("Riverside Reads", "Riverside Reads (1640000101)"), (s.ParentApp, s.Subscription)));
        Assert.Equal(1, LookupsOf(observer, "719219382"));   // one request for the two subscriptions of the same app
        Assert.DoesNotContain(observer.VerboseLines, l => l.StartsWith("WARNING: ", StringComparison.Ordinal) && l.Contains("Metadata", StringComparison.Ordinal));

        // Known and fresh: the next sync does not ask again.
        await SyncAsync(h, Observed(h, observer));
        Assert.Equal(1, LookupsOf(observer, "719219382"));
    }

    [Fact]
    public async Task A_parent_app_the_lookup_does_not_know_is_shown_by_its_adamId_and_asked_again_at_the_next_sync()
    {
        await using var h = await EngineHarness.StartDemoAsync(Riverside, s => s.Catalog = null);
        var observer = new RecordingObserver();
        await SyncAsync(h, Observed(h, observer), full: true);

        var reads = new SubscriptionService(h.Context).List([h.Token.Id]).Single(s => s.AdamId == "1640000101");
        Assert.Equal(((string?)null, "adamId 719219382", "adamId 719219382 (1640000101)"), (reads.ParentApp, reads.ParentAppName, reads.DisplayName));
        Assert.Equal("adamId 719219382 (1640000101)", new SubscriptionService(h.Context).Seats([h.Token.Id]).First(s => s.AdamId == "1640000101").Subscription);
        Assert.Equal(1, LookupsOf(observer, "719219382"));
        await SyncAsync(h, Observed(h, observer));
        Assert.Equal(2, LookupsOf(observer, "719219382"));
    }

    [Fact]
    public void A_subscription_without_a_parent_is_shown_by_its_adamId()
    {
        var s = new VppSubscription
        {
            Token = "t", AdamId = "42", AssignedRenewing = 0, AssignedExpiring = 0, AvailableRenewing = 0, AvailableExpiring = 0, TotalRenewing = 0, TotalExpiring = 0,
        };
        Assert.Equal(((string?)null, "42"), (s.ParentAppName, s.DisplayName));
        Assert.Equal("Reading plan", (s with { Name = "Reading plan", ParentAdamId = "7" }).DisplayName);
    }
}
