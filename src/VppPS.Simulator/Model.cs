using System.Text.Json;

namespace VppPS.Simulator;

internal enum UserStatus : byte { Registered = 0, Associated = 1, Retired = 2, Deleted = 3 }

internal sealed class AssetRow
{
    public int Index;
    public string AdamId = "";
    public JsonEncodedText AdamIdJson;
    public string PricingParam = "STDQ";
    public JsonEncodedText PricingParamJson;
    public string ProductType = "App";
    public bool IsBook => ProductType == "Book";
    public bool DeviceAssignable;
    public bool Revocable;
    public bool Unlimited;
    public bool IsB2BCustomApp;
    public long Total;
    public int Assigned;
    public int Retired;
    public string[] SupportedPlatforms = ["iOS"];
    public string Name = "";
    public string? BundleId;
    public string ArtistName = "";
    public string Version = "1.0";
    public string MinimumOSVersion = "16.0";
    public string[] Genres = [];

    public long TotalReported => Unlimited ? int.MaxValue : Total;
    public long Available => TotalReported - Assigned - Retired;
}

internal sealed class UserRow
{
    public int Cuid;
    public string ClientUserId = "";
    public string? Email;
    public string? IdHash;
    public string? InviteCode;
    public string? ManagedAppleId;
    public UserStatus Status;
    public int Version;
    public bool IsActive => Status is UserStatus.Registered or UserStatus.Associated;
}

/// <summary>One assignment: 16 bytes, kept in a flat array (a million rows = 16 MB).</summary>
internal struct AssignRow
{
    public int Asset;
    public int Target;   // cuid index or serial index
    public int Version;  // version sequence at which this row last changed
    public byte Flags;   // 1 = device, 2 = removed (tombstone)
    public readonly bool IsDevice => (Flags & 1) != 0;
    public readonly bool Removed => (Flags & 2) != 0;
}

internal sealed class EventFailure
{
    public int ErrorNumber;
    public string ErrorMessage = "";
    public List<AssetRef>? Assets;
    public List<string>? ClientUserIds;
    public List<string>? SerialNumbers;
}

internal readonly record struct AssetRef(string AdamId, string PricingParam);

internal sealed class SimEvent
{
    public string Id = "";
    public string Type = "";
    public DateTimeOffset DueAt;
    public bool Stuck;
    public bool Applied;
    public int NumRequested;
    public int NumCompleted;
    public List<EventFailure> Failures = new();
    public Action<SimEvent>? Work;
    /// <summary>A subscription event: applying it does not change the asset/user versionId.</summary>
    public bool Subscription;
    /// <summary>When GET /status asked about this event (simulator clock).</summary>
    public readonly List<DateTimeOffset> Polls = new();
    /// <summary>Completes at once whatever eventDelayMs says (a deferred disassociation).</summary>
    public bool Immediate;
}

/// <summary>A subscription of a location. Counts are computed from Total* and the live assignments.</summary>
internal sealed class SubRow
{
    public int Index;
    public long AdamId;
    public long? ParentAdamId;
    public string? Name;
    public string Status = "ACTIVE";
    public DateOnly PeriodEnd;
    public int BillingPeriodDays = 365;
    public int TotalRenewing;
    public int TotalExpiring;
}

/// <summary>One subscription seat assignment. Renewing is the assignment's flag; SeatRenewing the license state of the seat it uses.</summary>
internal sealed class SubAssignRow
{
    public long Seq;
    public int Sub;
    public int Cuid;
    public bool Renewing;
    public bool SeatRenewing;
    public bool ViaGroup;
    public bool Removed;
    /// <summary>The eventId of a deferred disassociation that takes effect at the period end.</summary>
    public string? DeferredEventId;
}

internal sealed class SubAdminRow
{
    public long Seq;
    public int Sub;
    public int Cuid;
    public bool Removed;
}

/// <summary>What an issued cursor stands for: the endpoint and filters of its first request, and the last row served.</summary>
internal sealed record SubCursor(string Endpoint, string FilterKey, long LastSeq, int PageNo);

/// <summary>Kinds of faults the control API can schedule.</summary>
public enum SimulatorFaultKind
{
    /// <summary>503 with Retry-After.</summary>
    Unavailable,
    /// <summary>500 / 9603 (with Retry-After when RetryAfterSeconds &gt; 0).</summary>
    InternalError,
    /// <summary>429 / 9646.</summary>
    RateLimited,
    /// <summary>Answer normally after DelayMs.</summary>
    Slow,
    /// <summary>A new versionId (a write by "someone else") just before answering a paged GET with pageIndex &gt;= MinPageIndex.</summary>
    VersionChange,
    /// <summary>The next write's event stays PENDING until released.</summary>
    StayPending,
}

/// <summary>A scheduled fault: the next Count matching requests are affected.</summary>
public sealed class SimulatorFault
{
    public SimulatorFaultKind Kind { get; set; }
    public int Count { get; set; } = 1;
    public int RetryAfterSeconds { get; set; } = 1;
    public int DelayMs { get; set; } = 2000;
    /// <summary>Only requests to this endpoint (path under /mdm/v2, e.g. "assignments"); null = any.</summary>
    public string? Path { get; set; }
    /// <summary>VersionChange only: fire on a page request with at least this pageIndex (default 1).</summary>
    public int MinPageIndex { get; set; } = 1;
}

internal sealed class SimLocation
{
    public readonly object Sync = new();
    public int Ordinal;
    public string OrgName = "";
    public string LocationName = "";
    public string UId = "";
    public string CountryISO2ACode = "US";
    public string DefaultPlatform = "volumestore";
    public string WebsiteURL = "";
    public DateTimeOffset TokenExpiresAt;
    public bool Revoked;
    public string InnerToken = "";
    public string SToken = "";           // the whole .vpptoken content; what clients send as Bearer
    public string? TokenFilePath;
    public ScenarioMdmInfo? MdmInfo;
    public string? NotificationUrl;
    public string? NotificationAuthToken;
    public List<string> SubscribedTypes = new();
    public Random Rng = new(1);

    // assets
    public readonly List<AssetRow> Assets = new();
    public readonly Dictionary<(string, string), AssetRow> AssetByKey = new();

    // users: every record in creation order; several records may share a clientUserId (retired ones + one active)
    public readonly List<UserRow> Users = new();
    public readonly List<string> Cuids = new();
    public readonly Dictionary<string, int> CuidIndex = new(StringComparer.Ordinal);
    public readonly List<UserRow?> LatestUser = new();   // by cuid index

    // devices
    public readonly List<string> Serials = new();
    public readonly Dictionary<string, int> SerialIndex = new(StringComparer.Ordinal);

    // assignments
    public AssignRow[] Rows = new AssignRow[16];
    public int RowCount;
    public int Tombstones;
    private Dictionary<long, int>? _pairIndex;

    // versions
    public int VersionSeq;
    public string VersionId = "";
    public readonly Dictionary<string, int> VersionIds = new(StringComparer.Ordinal);

    // events
    public readonly Dictionary<string, SimEvent> Events = new(StringComparer.Ordinal);
    public readonly List<SimEvent> PendingEvents = new();

    // faults and rate limit
    public readonly List<SimulatorFault> Faults = new();
    public long RateWindow;
    public int RateCount;

    // observed requests (authenticated /mdm/v2 requests of this location's token)
    public int InFlight;
    public int MaxInFlight;
    public long Requests;

    // cached filtered views, cleared on every new version
    public readonly Dictionary<string, int[]> ViewCache = new();

    // subscriptions (2026): their own versionId and random source, so asset data and ids do not move
    public bool? SubscriptionManagement;
    public readonly List<SubRow> Subs = new();
    public readonly Dictionary<long, SubRow> SubById = new();
    public readonly List<SubAssignRow> SubAssigns = new();            // insertion order; removed rows stay as tombstones
    public readonly Dictionary<(int Sub, int Cuid), SubAssignRow> LiveSubAssign = new();
    public readonly List<SubAdminRow> SubAdmins = new();              // insertion order; removed rows stay as tombstones
    public readonly Dictionary<string, SubCursor> Cursors = new(StringComparer.Ordinal);
    public Random SubRng = new(1);
    public string SubVersionId = "";

    public string NewGuid()
    {
        Span<byte> b = stackalloc byte[16];
        Rng.NextBytes(b);
        b[7] = (byte)((b[7] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b).ToString();
    }

    public string NewHex(int bytes)
    {
        Span<byte> b = stackalloc byte[bytes];
        Rng.NextBytes(b);
        return Convert.ToHexString(b).ToLowerInvariant();
    }

    public string NewSubGuid()
    {
        Span<byte> b = stackalloc byte[16];
        SubRng.NextBytes(b);
        b[7] = (byte)((b[7] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b).ToString();
    }

    /// <summary>A new versionId of the subscription data (subscriptions, their assignments and admins).</summary>
    public void NewSubVersion() => SubVersionId = NewSubGuid();

    public void NewVersion()
    {
        VersionSeq++;
        VersionId = NewGuid();
        VersionIds[VersionId] = VersionSeq;
        ViewCache.Clear();
    }

    public AssetRow? FindAsset(string adamId, string pricingParam) =>
        AssetByKey.TryGetValue((adamId, pricingParam), out var a) ? a : null;

    public AssetRow AddAsset(AssetRow a)
    {
        a.Index = Assets.Count;
        a.AdamIdJson = JsonEncodedText.Encode(a.AdamId, AppleApi.Encoder);
        a.PricingParamJson = JsonEncodedText.Encode(a.PricingParam, AppleApi.Encoder);
        if (!AssetByKey.TryAdd((a.AdamId, a.PricingParam), a))
            throw new InvalidDataException($"Location '{LocationName}': asset {a.AdamId}/{a.PricingParam} is listed twice.");
        Assets.Add(a);
        return a;
    }

    public int CuidOf(string clientUserId, bool create)
    {
        if (CuidIndex.TryGetValue(clientUserId, out var i)) return i;
        if (!create) return -1;
        i = Cuids.Count;
        Cuids.Add(clientUserId);
        CuidIndex.Add(clientUserId, i);
        LatestUser.Add(null);
        return i;
    }

    public int SerialOf(string serial, bool create)
    {
        if (SerialIndex.TryGetValue(serial, out var i)) return i;
        if (!create) return -1;
        i = Serials.Count;
        Serials.Add(serial);
        SerialIndex.Add(serial, i);
        return i;
    }

    public UserRow? ActiveUser(string clientUserId)
    {
        var c = CuidOf(clientUserId, false);
        if (c < 0) return null;
        var u = LatestUser[c];
        return u is { IsActive: true } ? u : null;
    }

    public UserRow AddUser(UserRow u)
    {
        u.Cuid = CuidOf(u.ClientUserId, true);
        Users.Add(u);
        LatestUser[u.Cuid] = u;
        return u;
    }

    private static long PairKey(int asset, bool device, int target) =>
        ((long)asset << 33) | (device ? 1L << 32 : 0L) | (uint)target;

    private Dictionary<long, int> PairIndex()
    {
        if (_pairIndex != null) return _pairIndex;
        var d = new Dictionary<long, int>(RowCount);
        for (int i = 0; i < RowCount; i++)
        {
            ref var r = ref Rows[i];
            d[PairKey(r.Asset, r.IsDevice, r.Target)] = i;
        }
        return _pairIndex = d;
    }

    /// <summary>Appends a row without index maintenance (scenario load / generation only).</summary>
    public void AppendRowUnchecked(int asset, bool device, int target, int version)
    {
        if (RowCount == Rows.Length) Array.Resize(ref Rows, Rows.Length * 2);
        Rows[RowCount++] = new AssignRow { Asset = asset, Target = target, Version = version, Flags = device ? (byte)1 : (byte)0 };
        _pairIndex?.Add(PairKey(asset, device, target), RowCount - 1);
    }

    public bool HasLiveAssignment(int asset, bool device, int target) =>
        PairIndex().TryGetValue(PairKey(asset, device, target), out var i) && !Rows[i].Removed;

    /// <summary>Adds (or revives) an assignment; the caller has checked availability. False when it already existed.</summary>
    public bool Assign(AssetRow asset, bool device, int target)
    {
        var idx = PairIndex();
        var key = PairKey(asset.Index, device, target);
        if (idx.TryGetValue(key, out var i))
        {
            ref var r = ref Rows[i];
            if (!r.Removed) return false;
            r.Flags = device ? (byte)1 : (byte)0;
            r.Version = VersionSeq;
            Tombstones--;
        }
        else
        {
            if (RowCount == Rows.Length) Array.Resize(ref Rows, Rows.Length * 2);
            Rows[RowCount] = new AssignRow { Asset = asset.Index, Target = target, Version = VersionSeq, Flags = device ? (byte)1 : (byte)0 };
            idx.Add(key, RowCount);
            RowCount++;
        }
        asset.Assigned++;
        return true;
    }

    /// <summary>Removes an assignment; false when there was none.</summary>
    public bool Unassign(AssetRow asset, bool device, int target)
    {
        if (!PairIndex().TryGetValue(PairKey(asset.Index, device, target), out var i)) return false;
        ref var r = ref Rows[i];
        if (r.Removed) return false;
        r.Flags |= 2;
        r.Version = VersionSeq;
        Tombstones++;
        asset.Assigned--;
        return true;
    }

    /// <summary>Row indexes of live assignments of one target (a scan; used by revoke and retire).</summary>
    public List<int> RowsOfTarget(bool device, int target)
    {
        var list = new List<int>();
        for (int i = 0; i < RowCount; i++)
        {
            ref var r = ref Rows[i];
            if (r.Target == target && r.IsDevice == device && !r.Removed) list.Add(i);
        }
        return list;
    }

    public string TargetName(in AssignRow r) => r.IsDevice ? Serials[r.Target] : Cuids[r.Target];
}
