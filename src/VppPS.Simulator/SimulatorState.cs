using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace VppPS.Simulator;

/// <summary>
/// The simulated service's state and its control surface: what /_sim/ does over HTTP,
/// C# tests can do here directly. Every method is thread-safe.
/// Locations are named by locationName or uId.
/// </summary>
public sealed partial class SimulatorState
{
    public static readonly IReadOnlyDictionary<string, int> DefaultLimits = new Dictionary<string, int>
    {
        ["maxAssets"] = 25, ["maxClientUserIds"] = 1000, ["maxSerialNumbers"] = 1000,
        ["maxRevokeClientUserIds"] = 100, ["maxRevokeSerialNumbers"] = 100, ["maxUsers"] = 100,
        ["maxNotificationLength"] = 512, ["maxMdmNameLength"] = 100, ["maxMdmMetadataLength"] = 255,
        ["maxMdmIdLength"] = 100, ["maxRequestPerSecond"] = 15, ["maxSubscriptions"] = 25,
        ["maxSubscriptionClientUserIds"] = 1000,
    };

    public static readonly string[] NotificationTypes =
    [
        "ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED", "TEST_NOTIFICATION",
        "SUBSCRIPTION_MANAGEMENT", "SUBSCRIPTION_COUNT", "UNLIMITED_ASSET",
    ];

    private readonly ISimulatorClock _clock;
    private long _offsetTicks;
    internal readonly SimulatorScenario Scenario;
    private volatile Dictionary<string, int> _limits;
    /// <summary>The current limits; replaced as a whole by SetLimits (Apple's limits are dynamic).</summary>
    internal IReadOnlyDictionary<string, int> Limits => _limits;
    internal readonly List<SimLocation> Locs = new();
    /// <summary>The scenario's catalog: store apps the metadata services know that no location needs to own (read-only after start).</summary>
    internal readonly List<AssetRow> Catalog = new();
    internal readonly ConcurrentDictionary<string, SimLocation> ByToken = new(StringComparer.Ordinal);
    internal readonly Notifier Notifier;
    internal readonly string? TokenDirectory;

    internal SimulatorState(SimulatorScenario scenario, ISimulatorClock? clock, string? tokenDirectory,
        Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        Scenario = scenario;
        _clock = clock ?? SystemSimulatorClock.Instance;
        TokenDirectory = tokenDirectory;
        var limits = new Dictionary<string, int>(DefaultLimits);
        if (scenario.Limits != null) foreach (var (k, v) in scenario.Limits) limits[k] = v;
        _limits = limits;
        InitLatency(scenario.Latency, delay);
        if (scenario.PageSize <= 0) throw new InvalidDataException("pageSize must be positive.");
        if (scenario.InvalidTokenStatus is not (401 or 200)) throw new InvalidDataException("invalidTokenStatus must be 401 or 200.");
        Notifier = new Notifier(scenario.NotificationRetryDelayMs);
        var now = Now;
        for (int i = 0; i < scenario.Locations.Count; i++) Locs.Add(LoadLocation(scenario.Locations[i], i, now));
        foreach (var a in scenario.Catalog ?? [])
        {
            if (a.IsB2BCustomApp) throw new InvalidDataException($"Catalog app {a.AdamId}: a custom B2B app belongs to a location's assets, not to the public catalog.");
            var row = ToAssetRow(a, "catalog", "Example Developer");
            if (Catalog.Any(c => c.AdamId == row.AdamId)) throw new InvalidDataException($"Catalog app {a.AdamId} is listed twice.");
            Catalog.Add(row);
        }
        var seen = new HashSet<string>();
        foreach (var l in Locs)
        {
            if (!seen.Add(l.UId)) throw new InvalidDataException($"Two locations share uId {l.UId}.");
            ByToken[l.SToken] = l;
        }
        if (tokenDirectory != null)
        {
            Directory.CreateDirectory(tokenDirectory);
            foreach (var l in Locs) WriteTokenFile(l);
        }
    }

    // ---------------------------------------------------------------- clock
    /// <summary>The simulator's now: the injected clock plus every AdvanceClock.</summary>
    public DateTimeOffset Now => _clock.UtcNow + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the simulator's clock forward (events due by then complete).</summary>
    public void AdvanceClock(TimeSpan by)
    {
        Interlocked.Add(ref _offsetTicks, by.Ticks);
        PumpAll();
    }

    public int PageSize => Scenario.PageSize;
    public IReadOnlyDictionary<string, int> EffectiveLimits => Limits;

    /// <summary>
    /// Changes limits while running, as Apple's "dynamic" limits do (service/config answers the new values and
    /// they are enforced at once). New keys are added; a limit cannot be removed. Values must not be negative.
    /// </summary>
    public void SetLimits(IReadOnlyDictionary<string, int> changes)
    {
        foreach (var (k, v) in changes)
        {
            if (string.IsNullOrWhiteSpace(k)) throw new ArgumentException("A limit needs a name.");
            if (v < 0) throw new ArgumentException($"Limit {k} must not be negative.");
        }
        lock (Locs)
        {
            var next = new Dictionary<string, int>(_limits);
            foreach (var (k, v) in changes) next[k] = v;
            _limits = next;
        }
    }

    // ---------------------------------------------------------------- loading
    /// <summary>A scenario asset (of a location, or of the catalog) as the simulator keeps it; <paramref name="where"/> names its place in errors.</summary>
    private static AssetRow ToAssetRow(ScenarioAsset a, string where, string defaultArtist)
    {
        if (string.IsNullOrEmpty(a.AdamId)) throw new InvalidDataException($"{where}: an asset has no adamId.");
        if (a.ProductType is not ("App" or "Book")) throw new InvalidDataException($"Asset {a.AdamId}: productType must be App or Book.");
        if (a.PricingParam is not ("STDQ" or "PLUS")) throw new InvalidDataException($"Asset {a.AdamId}: pricingParam must be STDQ or PLUS.");
        bool book = a.ProductType == "Book";
        return new AssetRow
        {
            AdamId = a.AdamId, PricingParam = a.PricingParam, ProductType = a.ProductType,
            DeviceAssignable = !book && (a.DeviceAssignable ?? true),
            Revocable = !book && (a.Revocable ?? true),
            Unlimited = a.Unlimited, IsB2BCustomApp = a.IsB2BCustomApp,
            Total = a.TotalCount ?? -1, Retired = a.RetiredCount,
            SupportedPlatforms = a.SupportedPlatforms?.ToArray() ?? (book ? ["iOS", "macOS"] : ["iOS"]),
            Name = a.Name ?? $"Asset {a.AdamId}", BundleId = book ? null : a.BundleId ?? $"com.example.app{a.AdamId}",
            ArtistName = a.ArtistName ?? defaultArtist,
            Version = a.Version ?? "1.0", MinimumOSVersion = a.MinimumOSVersion ?? "16.0",
            Genres = a.Genres?.ToArray() ?? [book ? "Books" : "Education"],
        };
    }

    private SimLocation LoadLocation(ScenarioLocation s, int ordinal, DateTimeOffset now)
    {
        var loc = new SimLocation
        {
            Ordinal = ordinal,
            OrgName = s.OrgName, LocationName = s.LocationName,
            CountryISO2ACode = s.CountryISO2ACode, DefaultPlatform = s.DefaultPlatform, WebsiteURL = s.WebsiteURL,
            Rng = new Random(unchecked(Scenario.Seed * 7919 + ordinal * 104729 + 17)),
            Revoked = s.Revoked,
            MdmInfo = s.MdmInfo,
            NotificationUrl = s.NotificationUrl, NotificationAuthToken = s.NotificationAuthToken,
            SubscribedTypes = s.NotificationTypes?.ToList() ?? new List<string>(),
        };
        loc.UId = s.UId ?? (1_000_000_000_000_000L + loc.Rng.NextInt64(0, 8_999_999_999_999_999L)).ToString();
        var tokenBytes = new byte[64]; loc.Rng.NextBytes(tokenBytes);
        loc.InnerToken = s.Token ?? Convert.ToBase64String(tokenBytes);
        var exp = s.TokenExpiresAt ?? now.AddDays(s.TokenExpiresInDays ?? 365);
        loc.TokenExpiresAt = new DateTimeOffset(exp.UtcTicks - exp.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        loc.SToken = BuildSToken(loc.InnerToken, loc.TokenExpiresAt, loc.OrgName);
        loc.NewVersion();

        foreach (var a in s.Assets)
            loc.AddAsset(ToAssetRow(a, $"Location '{s.LocationName}'", a.IsB2BCustomApp ? s.OrgName : "Example Developer"));
        foreach (var u in s.Users)
        {
            if (string.IsNullOrEmpty(u.ClientUserId)) throw new InvalidDataException($"Location '{s.LocationName}': a user has no clientUserId.");
            var status = u.Status switch
            {
                "Registered" => UserStatus.Registered, "Associated" => UserStatus.Associated,
                "Retired" => UserStatus.Retired, "Deleted" => UserStatus.Deleted,
                _ => throw new InvalidDataException($"User {u.ClientUserId}: status must be Registered, Associated, Retired or Deleted."),
            };
            var existing = loc.ActiveUser(u.ClientUserId);
            if (existing != null && status is UserStatus.Registered or UserStatus.Associated)
                throw new InvalidDataException($"User {u.ClientUserId} has two active records.");
            if (u.ManagedAppleId != null && status == UserStatus.Registered) status = UserStatus.Associated;
            loc.AddUser(new UserRow
            {
                ClientUserId = u.ClientUserId, Email = u.Email, Status = status, ManagedAppleId = u.ManagedAppleId,
                IdHash = status == UserStatus.Registered ? null : u.IdHash ?? IdHashFor(u.ManagedAppleId, loc),
                InviteCode = status == UserStatus.Registered ? u.InviteCode ?? loc.NewHex(16) : null,
                Version = loc.VersionSeq,
            });
        }
        foreach (var x in s.Assignments)
        {
            var a = loc.FindAsset(x.AdamId, x.PricingParam)
                ?? throw new InvalidDataException($"Assignment of unknown asset {x.AdamId}/{x.PricingParam} in '{s.LocationName}'.");
            if ((x.ClientUserId is null) == (x.SerialNumber is null))
                throw new InvalidDataException($"Assignment of {x.AdamId}: give exactly one of clientUserId and serialNumber.");
            if (x.ClientUserId != null)
            {
                var c = loc.CuidOf(x.ClientUserId, false);
                if (c < 0) throw new InvalidDataException($"Assignment to unknown user {x.ClientUserId}.");
                if (loc.HasLiveAssignment(a.Index, false, c)) throw new InvalidDataException($"Duplicate assignment {x.AdamId} -> {x.ClientUserId}.");
                loc.Assign(a, false, c);
            }
            else
            {
                if (!a.DeviceAssignable) throw new InvalidDataException($"Asset {x.AdamId} is not device-assignable.");
                var d = loc.SerialOf(x.SerialNumber!, true);
                if (loc.HasLiveAssignment(a.Index, true, d)) throw new InvalidDataException($"Duplicate assignment {x.AdamId} -> {x.SerialNumber}.");
                loc.Assign(a, true, d);
            }
        }
        foreach (var a in loc.Assets)
        {
            if (a.Total < 0) a.Total = a.Assigned + a.Retired;
            if (!a.Unlimited && a.Total < a.Assigned + a.Retired)
                throw new InvalidDataException($"Asset {a.AdamId} in '{s.LocationName}': totalCount {a.Total} < assigned {a.Assigned} + retired {a.Retired}.");
        }
        if (s.Generate != null) Generator.Populate(loc, s.Generate);
        LoadSubscriptions(loc, s, now);
        return loc;
    }

    internal static string IdHashFor(string? managedAppleId, SimLocation loc) =>
        managedAppleId is null ? loc.NewHex(20)
            : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(managedAppleId.ToLowerInvariant()))).ToLowerInvariant()[..40];

    internal static string FormatDate(DateTimeOffset d) => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss") + "+0000";

    internal static string BuildSToken(string inner, DateTimeOffset exp, string orgName)
    {
        var json = "{\n    \"token\": " + JsonEncodedString(inner) + ",\n    \"expDate\": " + JsonEncodedString(FormatDate(exp))
                   + ",\n    \"orgName\": " + JsonEncodedString(orgName) + "\n}";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }

    private static string JsonEncodedString(string s) => JsonSerializer.Serialize(s, new JsonSerializerOptions { Encoder = AppleApi.Encoder });

    /// <summary>
    /// The location a token (the whole Base64 file content) belongs to. A token is known by its
    /// inner <c>token</c> value, which comes from the scenario's seed: a file written by an earlier
    /// run of the same scenario carries another <c>expDate</c> when the expiry is relative to the
    /// start, and still belongs to its location. The expiry that counts is the location's.
    /// </summary>
    internal bool TryFindByToken(string sToken, [NotNullWhen(true)] out SimLocation? location)
    {
        if (ByToken.TryGetValue(sToken, out location)) return true;
        if (InnerTokenOf(sToken) is not { } inner) return false;
        foreach (var l in Locs)
            lock (l.Sync)
                if (l.InnerToken == inner) { location = l; return true; }
        return false;
    }

    /// <summary>The inner <c>token</c> of a token file's content; null when it is not Base64 of a JSON object with one.</summary>
    private static string? InnerTokenOf(string sToken)
    {
        try
        {
            using var json = JsonDocument.Parse(Convert.FromBase64String(sToken));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("token", out var inner) && inner.ValueKind == JsonValueKind.String
                ? inner.GetString() : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    private void WriteTokenFile(SimLocation l)
    {
        if (TokenDirectory is null) return;
        var safe = new string(l.LocationName.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());
        var path = Path.Combine(TokenDirectory, $"sToken_for_{safe}.vpptoken");
        File.WriteAllText(path, l.SToken);
        l.TokenFilePath = Path.GetFullPath(path);
    }

    internal SimLocation Find(string nameOrUid) =>
        Locs.FirstOrDefault(l => l.UId == nameOrUid)
        ?? Locs.FirstOrDefault(l => string.Equals(l.LocationName, nameOrUid, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"No location '{nameOrUid}'.");

    internal bool TryFind(string nameOrUid, out SimLocation loc)
    {
        loc = Locs.FirstOrDefault(l => l.UId == nameOrUid)
              ?? Locs.FirstOrDefault(l => string.Equals(l.LocationName, nameOrUid, StringComparison.OrdinalIgnoreCase))!;
        return loc != null;
    }

    // ---------------------------------------------------------------- read-only views
    public IReadOnlyList<SimTokenFile> TokenFiles
    {
        get
        {
            var list = new List<SimTokenFile>();
            foreach (var l in Locs) lock (l.Sync) list.Add(new SimTokenFile(l.LocationName, l.UId, l.TokenFilePath, l.SToken));
            return list;
        }
    }

    public IReadOnlyList<SimLocationInfo> Locations => Locs.Select(l => GetLocation(l.UId)).ToList();

    public SimLocationInfo GetLocation(string location)
    {
        var l = Find(location);
        lock (l.Sync)
            return new SimLocationInfo(l.LocationName, l.OrgName, l.UId, l.SToken, l.TokenFilePath, l.TokenExpiresAt, l.Revoked,
                l.MdmInfo?.Id, l.MdmInfo?.Name, l.MdmInfo?.Metadata, l.NotificationUrl, l.SubscribedTypes.ToList(), l.VersionId,
                l.SubscriptionManagement, l.SubVersionId);
    }

    public IReadOnlyList<SimAssetSnapshot> GetAssets(string location)
    {
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
            return l.Assets.Select(a => new SimAssetSnapshot(a.AdamId, a.PricingParam, a.ProductType, a.Name, a.BundleId,
                a.TotalReported, a.Assigned, a.Available, a.Retired, a.DeviceAssignable, a.Revocable, a.Unlimited,
                a.IsB2BCustomApp, a.SupportedPlatforms)).ToList();
    }

    /// <summary>Live assignments in the order GET /assignments serves them.</summary>
    public IReadOnlyList<SimAssignmentSnapshot> GetAssignments(string location)
    {
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
        {
            var list = new List<SimAssignmentSnapshot>(l.RowCount - l.Tombstones);
            for (int i = 0; i < l.RowCount; i++)
            {
                ref var r = ref l.Rows[i];
                if (r.Removed) continue;
                var a = l.Assets[r.Asset];
                list.Add(r.IsDevice ? new(a.AdamId, a.PricingParam, null, l.Serials[r.Target]) : new(a.AdamId, a.PricingParam, l.Cuids[r.Target], null));
            }
            return list;
        }
    }

    /// <summary>Every user record (retired ones included) in the order GET /users serves them.</summary>
    public IReadOnlyList<SimUserSnapshot> GetUsers(string location)
    {
        var l = Find(location);
        Pump(l);
        lock (l.Sync)
            return l.Users.Select(u => new SimUserSnapshot(u.ClientUserId, u.Email, u.Status.ToString(), u.IdHash, u.InviteCode)).ToList();
    }

    public IReadOnlyList<SimNotificationRecord> Notifications
    {
        get { lock (Notifier.Log) return Notifier.Log.ToList(); }
    }

    // ---------------------------------------------------------------- control
    /// <summary>Another MDM claims the location (sets mdmInfo as its POST client/config would).</summary>
    public void ClaimByOtherMdm(string location, string id = "5b6d5c9e-0000-4000-8000-0000000000aa", string name = "Other MDM", string metadata = "other-mdm.example.com")
    {
        var l = Find(location);
        lock (l.Sync) l.MdmInfo = new ScenarioMdmInfo { Id = id, Name = name, Metadata = metadata };
    }

    /// <summary>The token expires now (9621 from now on).</summary>
    public void ExpireToken(string location)
    {
        var l = Find(location);
        lock (l.Sync) l.TokenExpiresAt = Now.AddSeconds(-1);
    }

    /// <summary>Apple revokes the token (9625 from now on).</summary>
    public void RevokeToken(string location)
    {
        var l = Find(location);
        lock (l.Sync) l.Revoked = true;
    }

    /// <summary>A new token is downloaded for the location: new content, one more year; the old token becomes unknown (9622). Returns the new token.</summary>
    public string RenewToken(string location)
    {
        var l = Find(location);
        lock (l.Sync)
        {
            ByToken.TryRemove(l.SToken, out _);
            var b = new byte[64]; l.Rng.NextBytes(b);
            l.InnerToken = Convert.ToBase64String(b);
            var exp = Now.AddDays(365);
            l.TokenExpiresAt = new DateTimeOffset(exp.UtcTicks - exp.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
            l.Revoked = false;
            l.SToken = BuildSToken(l.InnerToken, l.TokenExpiresAt, l.OrgName);
            ByToken[l.SToken] = l;
            WriteTokenFile(l);
            return l.SToken;
        }
    }

    /// <summary>The organization buys licenses (ASSET_COUNT with a positive countDelta).</summary>
    public void BuyLicenses(string location, string adamId, int count, string pricingParam = "STDQ") => ChangeCount(location, adamId, pricingParam, count);

    /// <summary>Licenses are refunded or transferred away (ASSET_COUNT with a negative countDelta). Only available licenses can go.</summary>
    public void RefundLicenses(string location, string adamId, int count, string pricingParam = "STDQ") => ChangeCount(location, adamId, pricingParam, -count);

    private void ChangeCount(string location, string adamId, string pricingParam, int delta)
    {
        var l = Find(location);
        lock (l.Sync)
        {
            var a = l.FindAsset(adamId, pricingParam) ?? throw new KeyNotFoundException($"No asset {adamId}/{pricingParam} in '{l.LocationName}'.");
            if (a.Unlimited) throw new InvalidOperationException($"Asset {adamId} is unlimited.");
            if (delta == 0) throw new ArgumentException("count must not be 0.");
            if (delta < 0 && a.Available < -delta) throw new InvalidOperationException($"Only {a.Available} licenses of {adamId} are available; cannot refund {-delta}.");
            l.NewVersion();
            a.Total += delta;
            Notifier.Enqueue(l, "ASSET_COUNT", w =>
            {
                w.WriteString("adamId", a.AdamId);
                w.WriteNumber("countDelta", delta);
                w.WriteString("pricingParam", a.PricingParam);
            });
        }
    }

    /// <summary>A Registered user accepts the invitation and becomes Associated (USER_ASSOCIATED).</summary>
    public void AcceptInvitation(string location, string clientUserId, string? idHash = null)
    {
        var l = Find(location);
        lock (l.Sync) AcceptLocked(l, l.ActiveUser(clientUserId) ?? throw new KeyNotFoundException($"No active user '{clientUserId}'."), idHash);
    }

    internal void AcceptLocked(SimLocation l, UserRow u, string? idHash)
    {
        if (u.Status != UserStatus.Registered) throw new InvalidOperationException($"User '{u.ClientUserId}' is {u.Status}, not Registered.");
        l.NewVersion();
        u.Status = UserStatus.Associated;
        u.IdHash = idHash ?? l.NewHex(20);
        u.InviteCode = null;
        u.Version = l.VersionSeq;
        Notifier.Enqueue(l, "USER_ASSOCIATED", w =>
        {
            w.WritePropertyName("associatedUsers");
            w.WriteStartArray();
            AppleApi.WriteUser(w, u);
            w.WriteEndArray();
        });
    }

    /// <summary>Accepts by invite code, as the invitationEmail URL does. False when no Registered user has it.</summary>
    internal bool AcceptByInviteCode(string inviteCode)
    {
        foreach (var l in Locs)
            lock (l.Sync)
                foreach (var u in l.Users)
                    if (u.InviteCode == inviteCode && u.Status == UserStatus.Registered) { AcceptLocked(l, u, null); return true; }
        return false;
    }

    public void ScheduleFault(string location, SimulatorFault fault)
    {
        if (fault.Count <= 0) throw new ArgumentException("count must be positive.");
        var l = Find(location);
        lock (l.Sync) l.Faults.Add(new SimulatorFault { Kind = fault.Kind, Count = fault.Count, RetryAfterSeconds = fault.RetryAfterSeconds, DelayMs = fault.DelayMs, Path = fault.Path, MinPageIndex = fault.MinPageIndex });
    }

    public void ClearFaults(string location)
    {
        var l = Find(location);
        lock (l.Sync) l.Faults.Clear();
    }

    /// <summary>Lets events held by StayPending complete (when their delay has passed). Null = every location.</summary>
    public int ReleasePendingEvents(string? location = null)
    {
        int n = 0;
        foreach (var l in location is null ? Locs : [Find(location)])
        {
            lock (l.Sync) foreach (var e in l.PendingEvents) if (e.Stuck) { e.Stuck = false; n++; }
            Pump(l);
        }
        return n;
    }

    // ---------------------------------------------------------------- events
    internal void PumpAll()
    {
        foreach (var l in Locs) Pump(l);
    }

    /// <summary>
    /// Applies what is due at the simulator's now, in time order: events whose delay has passed (not held by
    /// StayPending) and subscription period ends.
    /// </summary>
    internal void Pump(SimLocation l)
    {
        lock (l.Sync)
        {
            if (l.PendingEvents.Count == 0 && l.Subs.Count == 0) return;
            var now = Now;
            while (true)
            {
                int next = -1;
                for (int i = 0; i < l.PendingEvents.Count; i++)
                {
                    var e = l.PendingEvents[i];
                    if (e.Stuck || e.DueAt > now) continue;
                    if (next < 0 || e.DueAt < l.PendingEvents[next].DueAt) next = i;
                }
                var sub = NextPeriodEndLocked(l);
                if (sub != null && PeriodEndInstant(sub) <= now && (next < 0 || PeriodEndInstant(sub) <= l.PendingEvents[next].DueAt))
                {
                    EndPeriodLocked(l, sub);
                    continue;
                }
                if (next < 0) break;
                var ev = l.PendingEvents[next];
                l.PendingEvents.RemoveAt(next);
                ApplyLocked(l, ev);
            }
        }
    }

    /// <summary>
    /// A write's event. Subscription events take their id from the subscription random source (asset ids do not
    /// move) and change only the subscription versionId; an immediate event ignores eventDelayMs (StayPending still holds it).
    /// </summary>
    internal SimEvent CreateEventLocked(SimLocation l, string type, int numRequested, Action<SimEvent> work, bool subscription = false, bool immediate = false)
    {
        var e = new SimEvent
        {
            Id = subscription ? l.NewSubGuid() : l.NewGuid(), Type = type, NumRequested = numRequested, Work = work,
            DueAt = immediate ? Now : Now.AddMilliseconds(Scenario.EventDelayMs),
            Subscription = subscription, Immediate = immediate,
        };
        var f = TakeFault(l, SimulatorFaultKind.StayPending, null);
        if (f != null) e.Stuck = true;
        l.Events[e.Id] = e;
        if (!e.Stuck && (immediate || Scenario.EventDelayMs <= 0)) ApplyLocked(l, e);
        else l.PendingEvents.Add(e);
        return e;
    }

    private static void ApplyLocked(SimLocation l, SimEvent e)
    {
        if (!e.Subscription) l.NewVersion();
        e.Work!(e);
        e.Work = null;
        e.Applied = true;
    }

    internal SimulatorFault? TakeFault(SimLocation l, SimulatorFaultKind kind, string? path, int pageIndex = -1)
    {
        for (int i = 0; i < l.Faults.Count; i++)
        {
            var f = l.Faults[i];
            if (f.Kind != kind) continue;
            if (f.Path != null && path != null && !string.Equals(f.Path.Trim('/'), path, StringComparison.OrdinalIgnoreCase)) continue;
            if (kind == SimulatorFaultKind.VersionChange && pageIndex < f.MinPageIndex) continue;
            if (--f.Count <= 0) l.Faults.RemoveAt(i);
            return f;
        }
        return null;
    }

    /// <summary>Fixed one-second window per token, on the real monotonic clock.</summary>
    internal bool RateLimitExceeded(SimLocation l)
    {
        var max = Limits.TryGetValue("maxRequestPerSecond", out var m) ? m : 15;
        var window = Environment.TickCount64 / 1000;
        lock (l.Sync)
        {
            if (window != l.RateWindow) { l.RateWindow = window; l.RateCount = 0; }
            return ++l.RateCount > max;
        }
    }
}
