using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VppPS.Simulator;

/// <summary>The v2 endpoints under /mdm/v2.</summary>
internal sealed partial class AppleApi
{
    internal static readonly System.Text.Encodings.Web.JavaScriptEncoder Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    internal static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = Encoder };

    private static readonly Dictionary<string, string> Endpoints = new(StringComparer.Ordinal)
    {
        ["service/config"] = "GET", ["client/config"] = "GET, POST", ["assets"] = "GET", ["assignments"] = "GET",
        ["assets/associate"] = "POST", ["assets/disassociate"] = "POST", ["assets/revoke"] = "POST",
        ["users"] = "GET", ["users/create"] = "POST", ["users/update"] = "POST", ["users/retire"] = "POST",
        ["status"] = "GET",
        ["subscriptions/enable"] = "POST", ["subscriptions/disable"] = "POST", ["subscriptions"] = "GET",
        ["subscriptions/assignments"] = "GET", ["subscriptions/associate"] = "POST", ["subscriptions/disassociate"] = "POST",
        ["subscriptions/admins"] = "GET", ["subscriptions/admins/add"] = "POST", ["subscriptions/admins/remove"] = "POST",
    };

    /// <summary>POSTs that take no body and no Content-Type (spec §2.10.1 Decision): a body, if sent, is ignored.</summary>
    private static bool NoBody(string sub) => sub is "subscriptions/enable" or "subscriptions/disable";

    /// <summary>Subscription writes read their own body: anything but a JSON object is 9811 there (§2.10.4).</summary>
    private static bool OwnBody(string sub) => sub.StartsWith("subscriptions/", StringComparison.Ordinal) && !NoBody(sub);

    private const string LatencyKey = "VppPS.Simulator.Latency";

    private static readonly JsonEncodedText PAdamId = JsonEncodedText.Encode("adamId");
    private static readonly JsonEncodedText PClientUserId = JsonEncodedText.Encode("clientUserId");
    private static readonly JsonEncodedText PSerialNumber = JsonEncodedText.Encode("serialNumber");
    private static readonly JsonEncodedText PPricingParam = JsonEncodedText.Encode("pricingParam");
    private static readonly JsonEncodedText PIdHash = JsonEncodedText.Encode("idHash");
    private static readonly JsonEncodedText PUserStatus = JsonEncodedText.Encode("userStatus");
    private static readonly JsonEncodedText[] StatusNames = new[] { "Registered", "Associated", "Retired", "Deleted" }.Select(s => JsonEncodedText.Encode(s, Encoder)).ToArray();

    private readonly SimulatorState S;
    public AppleApi(SimulatorState state) => S = state;

    public async Task HandleAsync(HttpContext ctx, string sub)
    {
        var latency = S.NextLatency();
        if (latency > TimeSpan.Zero) ctx.Items[LatencyKey] = (Func<Task>)(() => S.DelayAsync(latency, ctx.RequestAborted));
        SimLocation? counted = null;
        try
        {
            if (!Endpoints.TryGetValue(sub, out var methods))
                throw new AppleError(9602, "No such endpoint.", 404);
            var method = ctx.Request.Method;
            if (!methods.Split(", ").Contains(method))
            {
                ctx.Response.Headers.Allow = methods;
                throw new AppleError(9726);
            }
            if (sub == "service/config") { await SendAsync(ctx, 200, w => WriteServiceConfig(ctx, w)); return; }
            if (method == "POST" && !NoBody(sub) && !IsJson(ctx.Request.ContentType)) throw new AppleError(9727);

            var l = Authenticate(ctx);
            S.EnterRequest(counted = l);
            if (S.RateLimitExceeded(l)) throw new AppleError(9646);
            await ApplyFaultsAsync(ctx, l, sub);
            S.Pump(l);

            JsonElement body = default;
            if (method == "POST" && !NoBody(sub)) body = OwnBody(sub) ? await ReadSubscriptionBodyAsync(ctx) : await ReadBodyAsync(ctx);
            var q = ctx.Request.Query;
            switch (sub)
            {
                case "client/config" when method == "GET": await SendAsync(ctx, 200, l, w => WriteClientConfig(w, l)); break;
                case "client/config": await PostClientConfigAsync(ctx, l, body); break;
                case "assets": await SendAsync(ctx, 200, l, w => GetAssets(w, l, q)); break;
                case "assignments": await SendAsync(ctx, 200, l, w => GetAssignments(w, l, q)); break;
                case "users": await SendAsync(ctx, 200, l, w => GetUsers(w, l, q)); break;
                case "status": await SendAsync(ctx, 200, l, w => GetStatus(w, l, q)); break;
                case "assets/associate": await ManageAssetsAsync(ctx, l, body, associate: true); break;
                case "assets/disassociate": await ManageAssetsAsync(ctx, l, body, associate: false); break;
                case "assets/revoke": await RevokeAsync(ctx, l, body); break;
                case "users/create": await ManageUsersAsync(ctx, l, body, "create"); break;
                case "users/update": await ManageUsersAsync(ctx, l, body, "update"); break;
                case "users/retire": await ManageUsersAsync(ctx, l, body, "retire"); break;
                case "subscriptions/enable": await SubscriptionManagementAsync(ctx, l, enable: true); break;
                case "subscriptions/disable": await SubscriptionManagementAsync(ctx, l, enable: false); break;
                case "subscriptions": await SendAsync(ctx, 200, l, w => GetSubscriptions(w, l, q)); break;
                case "subscriptions/assignments": await SendAsync(ctx, 200, l, w => GetSubscriptionAssignments(w, l, q)); break;
                case "subscriptions/admins": await SendAsync(ctx, 200, l, w => GetSubscriptionAdmins(w, l, q)); break;
                case "subscriptions/associate": await ManageSubscriptionsAsync(ctx, l, body, associate: true); break;
                case "subscriptions/disassociate": await ManageSubscriptionsAsync(ctx, l, body, associate: false); break;
                case "subscriptions/admins/add": await ManageSubscriptionAdminsAsync(ctx, l, body, add: true); break;
                case "subscriptions/admins/remove": await ManageSubscriptionAdminsAsync(ctx, l, body, add: false); break;
            }
        }
        catch (AppleError e)
        {
            await SendErrorAsync(ctx, e.HttpStatus, e.Number, e.Message);
        }
        finally
        {
            if (counted != null) S.LeaveRequest(counted);
        }
    }

    internal static bool IsJson(string? contentType) =>
        contentType != null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private SimLocation Authenticate(HttpContext ctx)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        if (!h.StartsWith("Bearer ", StringComparison.Ordinal) || h.Length <= 7 || string.IsNullOrWhiteSpace(h[7..]))
            throw new AppleError(9722);
        var token = h[7..].Trim();
        if (!S.TryFindByToken(token, out var l))
            throw new AppleError(9622, null, S.Scenario.InvalidTokenStatus);
        lock (l.Sync)
        {
            if (l.Revoked) throw new AppleError(9625);
            if (S.Now >= l.TokenExpiresAt) throw new AppleError(9621);
        }
        return l;
    }

    private async Task ApplyFaultsAsync(HttpContext ctx, SimLocation l, string sub)
    {
        SimulatorFault? f;
        lock (l.Sync)
        {
            f = S.TakeFault(l, SimulatorFaultKind.Unavailable, sub) ?? S.TakeFault(l, SimulatorFaultKind.InternalError, sub)
                ?? S.TakeFault(l, SimulatorFaultKind.RateLimited, sub) ?? S.TakeFault(l, SimulatorFaultKind.Slow, sub);
        }
        if (f is null) return;
        if (f.Kind != SimulatorFaultKind.Slow && f.RetryAfterSeconds > 0)
            ctx.Response.Headers.RetryAfter = f.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        switch (f.Kind)
        {
            case SimulatorFaultKind.Unavailable: throw new AppleError(9729);
            case SimulatorFaultKind.InternalError: throw new AppleError(9603);
            case SimulatorFaultKind.RateLimited: throw new AppleError(9646);
            case SimulatorFaultKind.Slow: await Task.Delay(f.DelayMs, ctx.RequestAborted); break;
        }
    }

    private static async Task<JsonElement> ReadBodyAsync(HttpContext ctx)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new AppleError(9602, "The request body must be a JSON object.");
            return doc.RootElement.Clone();
        }
        catch (JsonException) { throw new AppleError(9602, "The request body isn't valid JSON."); }
    }

    // ------------------------------------------------------------ output helpers
    internal static Task SendErrorAsync(HttpContext ctx, int status, int number, string message) =>
        SendAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("errorNumber", number);
            w.WriteString("errorMessage", message);
            w.WriteEndObject();
        });

    internal static async Task SendAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buf = new ArrayBufferWriter<byte>(4096);
        try
        {
            using (var w = new Utf8JsonWriter(buf, WriterOptions)) write(w);
        }
        catch (AppleError e)
        {
            if (status != 200) throw;
            await SendErrorAsync(ctx, e.HttpStatus, e.Number, e.Message);
            return;
        }
        // The scenario's latency: the answer is computed (state already changed), then held back before it is sent.
        if (ctx.Items.Remove(LatencyKey, out var wait) && wait is Func<Task> delay) await delay();
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json;charset=UTF-8";
        ctx.Response.ContentLength = buf.WrittenCount;
        await ctx.Response.Body.WriteAsync(buf.WrittenMemory, ctx.RequestAborted);
    }

    /// <summary>Runs the writer under the location lock (the page is built from a consistent state).</summary>
    private static Task SendAsync(HttpContext ctx, int status, SimLocation l, Action<Utf8JsonWriter> write) =>
        SendAsync(ctx, status, w => { lock (l.Sync) write(w); });

    private void WriteEnvelope(Utf8JsonWriter w, SimLocation l)
    {
        if (l.MdmInfo is { } m)
        {
            w.WritePropertyName("mdmInfo");
            w.WriteStartObject();
            w.WriteString("id", m.Id);
            w.WriteString("metadata", m.Metadata);
            w.WriteString("name", m.Name);
            w.WriteEndObject();
        }
        if (S.Scenario.TokenExpirationDateMode != "within15Days" || l.TokenExpiresAt - S.Now <= TimeSpan.FromDays(15))
            w.WriteString("tokenExpirationDate", SimulatorState.FormatDate(l.TokenExpiresAt));
        w.WriteString("uId", l.UId);
    }

    internal static void WriteUser(Utf8JsonWriter w, UserRow u)
    {
        w.WriteStartObject();
        w.WriteString(PClientUserId, u.ClientUserId);
        if (u.Email != null) w.WriteString("email", u.Email);
        if (u.IdHash != null) w.WriteString(PIdHash, u.IdHash);
        if (u.InviteCode != null) w.WriteString("inviteCode", u.InviteCode);
        w.WriteString("status", StatusNames[(int)u.Status]);
        w.WriteEndObject();
    }

    internal static void WriteFailure(Utf8JsonWriter w, EventFailure f)
    {
        w.WriteStartObject();
        if (f.Assets != null || f.ClientUserIds != null || f.SerialNumbers != null)
        {
            w.WritePropertyName("errorInfo");
            w.WriteStartObject();
            if (f.Assets != null)
            {
                w.WritePropertyName("assets");
                w.WriteStartArray();
                foreach (var a in f.Assets) { w.WriteStartObject(); w.WriteString(PAdamId, a.AdamId); w.WriteString(PPricingParam, a.PricingParam); w.WriteEndObject(); }
                w.WriteEndArray();
            }
            if (f.ClientUserIds != null) { w.WritePropertyName("clientUserIds"); w.WriteStartArray(); foreach (var c in f.ClientUserIds) w.WriteStringValue(c); w.WriteEndArray(); }
            if (f.SerialNumbers != null) { w.WritePropertyName("serialNumbers"); w.WriteStartArray(); foreach (var s in f.SerialNumbers) w.WriteStringValue(s); w.WriteEndArray(); }
            w.WriteEndObject();
        }
        w.WriteString("errorMessage", f.ErrorMessage);
        w.WriteNumber("errorNumber", f.ErrorNumber);
        w.WriteEndObject();
    }

    private void WriteEventResponse(Utf8JsonWriter w, SimLocation l, SimEvent e)
    {
        w.WriteStartObject();
        w.WriteString("eventId", e.Id);
        WriteEnvelope(w, l);
        w.WriteEndObject();
    }

    // ------------------------------------------------------------ service/config
    private void WriteServiceConfig(HttpContext ctx, Utf8JsonWriter w)
    {
        var b = $"{ctx.Request.Scheme}://{ctx.Request.Host}";
        var v2 = b + "/mdm/v2";
        w.WriteStartObject();
        w.WritePropertyName("errorCodes");
        w.WriteStartArray();
        foreach (var (n, m, _) in ErrorCatalog.All) { w.WriteStartObject(); w.WriteString("errorMessage", m); w.WriteNumber("errorNumber", n); w.WriteEndObject(); }
        w.WriteEndArray();
        w.WritePropertyName("limits");
        w.WriteStartObject();
        foreach (var (k, v) in S.Limits) w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WritePropertyName("notificationTypes");
        w.WriteStartArray();
        foreach (var t in SimulatorState.NotificationTypes) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WritePropertyName("urls");
        w.WriteStartObject();
        w.WriteString("associateAssets", v2 + "/assets/associate");
        w.WriteString("clientConfig", v2 + "/client/config");
        w.WriteString("contentMetadataLookup", b + "/WebObjects/MZStorePlatform.woa/wa/lookup");
        w.WriteString("createUsers", v2 + "/users/create");
        w.WriteString("disassociateAssets", v2 + "/assets/disassociate");
        w.WriteString("eventStatus", v2 + "/status");
        w.WriteString("getAssets", v2 + "/assets");
        w.WriteString("getAssignments", v2 + "/assignments");
        w.WriteString("getUsers", v2 + "/users");
        w.WriteString("invitationEmail", b + "/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8");
        w.WriteString("retireUsers", v2 + "/users/retire");
        w.WriteString("revokeAssets", v2 + "/assets/revoke");
        w.WriteString("updateUsers", v2 + "/users/update");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // ------------------------------------------------------------ client/config
    private void WriteClientConfig(Utf8JsonWriter w, SimLocation l)
    {
        w.WriteStartObject();
        w.WriteString("countryISO2ACode", l.CountryISO2ACode);
        w.WriteString("defaultPlatform", l.DefaultPlatform);
        w.WriteString("locationName", l.LocationName);
        if (l.MdmInfo is { } m)
        {
            w.WritePropertyName("mdmInfo");
            w.WriteStartObject(); w.WriteString("id", m.Id); w.WriteString("metadata", m.Metadata); w.WriteString("name", m.Name); w.WriteEndObject();
        }
        if (l.NotificationAuthToken != null) w.WriteString("notificationAuthToken", l.NotificationAuthToken);
        if (l.NotificationUrl != null) w.WriteString("notificationUrl", l.NotificationUrl);
        w.WritePropertyName("subscribedNotificationTypes");
        w.WriteStartArray();
        foreach (var t in l.SubscribedTypes) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteString("tokenExpirationDate", SimulatorState.FormatDate(l.TokenExpiresAt));
        w.WriteString("uId", l.UId);
        w.WriteString("websiteURL", l.WebsiteURL);
        w.WriteEndObject();
    }

    private async Task PostClientConfigAsync(HttpContext ctx, SimLocation l, JsonElement body)
    {
        ScenarioMdmInfo? mdm = null;
        if (body.TryGetProperty("mdmInfo", out var mi) && mi.ValueKind != JsonValueKind.Null)
        {
            if (mi.ValueKind != JsonValueKind.Object) throw new AppleError(9723);
            string? id = Str(mi, "id"), name = Str(mi, "name"), meta = Str(mi, "metadata");
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(name) || meta is null) throw new AppleError(9723);
            if (id.Length > S.Limits["maxMdmIdLength"]) throw new AppleError(9724);
            if (name.Length > S.Limits["maxMdmNameLength"]) throw new AppleError(9725);
            if (meta.Length > S.Limits["maxMdmMetadataLength"]) throw new AppleError(9713);
            mdm = new ScenarioMdmInfo { Id = id, Name = name, Metadata = meta };
        }
        bool hasUrl = body.TryGetProperty("notificationUrl", out var ue) && ue.ValueKind != JsonValueKind.Null;
        bool hasTok = body.TryGetProperty("notificationAuthToken", out var te) && te.ValueKind != JsonValueKind.Null;
        if (hasUrl != hasTok) throw new AppleError(9710);
        string? url = hasUrl ? (ue.ValueKind == JsonValueKind.String ? ue.GetString() : throw new AppleError(9712)) : null;
        string? tok = hasTok ? (te.ValueKind == JsonValueKind.String ? te.GetString() : throw new AppleError(9602)) : null;
        bool clear = hasUrl && url == "" && tok == "";
        if (hasUrl && !clear)
        {
            if (url!.Length > S.Limits["maxNotificationLength"] || tok!.Length > S.Limits["maxNotificationLength"]) throw new AppleError(9711);
            if (tok.Length == 0) throw new AppleError(9710);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) throw new AppleError(9712);
            bool ok = u.Scheme == Uri.UriSchemeHttps || (u.Scheme == Uri.UriSchemeHttp && S.Scenario.AllowHttpNotifications && u.IsLoopback);
            if (!ok || !string.IsNullOrEmpty(u.Query) || !string.IsNullOrEmpty(u.Fragment)) throw new AppleError(9712);
        }
        List<string>? types = null;
        if (body.TryGetProperty("notificationTypes", out var nt) && nt.ValueKind != JsonValueKind.Null)
        {
            if (nt.ValueKind != JsonValueKind.Array) throw new AppleError(9602, "notificationTypes must be an array.");
            types = new List<string>();
            foreach (var t in nt.EnumerateArray())
            {
                var s = t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                if (!SimulatorState.NotificationTypes.Contains(s)) throw new AppleError(9602, $"Unknown notification type '{s}'.");
                if (!types.Contains(s)) types.Add(s);
            }
        }
        if (hasUrl && !clear)
        {
            // Apple sends a TEST_NOTIFICATION; if delivery fails, the configuration is rejected.
            var bodyBytes = Notifier.Envelope(l.UId, "TEST_NOTIFICATION", Guid.NewGuid().ToString(), _ => { });
            var rec = S.Notifier.NewRecord(l.UId, "TEST_NOTIFICATION", url!, bodyBytes);
            if (!await S.Notifier.DeliverAsync(rec, url!, tok!, bodyBytes)) throw new AppleError(9728);
        }
        lock (l.Sync)
        {
            if (mdm != null) l.MdmInfo = mdm;
            if (clear) { l.NotificationUrl = null; l.NotificationAuthToken = null; }
            else if (hasUrl) { l.NotificationUrl = url; l.NotificationAuthToken = tok; }
            if (types != null) l.SubscribedTypes = types;
        }
        await SendAsync(ctx, 200, l, w => WriteClientConfig(w, l));
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // ------------------------------------------------------------ query parsing
    private static string? Q(IQueryCollection q, string name)
    {
        var v = q[name];
        return v.Count == 0 ? null : v[0];
    }

    private static bool? QBool(IQueryCollection q, string name)
    {
        var s = Q(q, name);
        if (s is null || s.Length == 0) return null;
        if (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "1") return true;
        if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s == "0") return false;
        throw new AppleError(9602, $"'{name}' must be true or false.");
    }

    private static int? QInt(IQueryCollection q, string name)
    {
        var s = Q(q, name);
        if (s is null || s.Length == 0) return null;
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return v;
        throw new AppleError(name == "pageIndex" ? 9650 : 9602, name == "pageIndex" ? null : $"'{name}' must be an integer.");
    }

    private static string? QPricing(IQueryCollection q)
    {
        var p = Q(q, "pricingParam");
        if (string.IsNullOrEmpty(p)) return null;
        return p is "STDQ" or "PLUS" ? p : throw new AppleError(9602, "pricingParam must be STDQ or PLUS.");
    }

    private int SinceSeq(SimLocation l, IQueryCollection q)
    {
        var s = Q(q, "sinceVersionId");
        if (string.IsNullOrEmpty(s)) return -1;
        return l.VersionIds.TryGetValue(s, out var seq) ? seq : throw new AppleError(9721);
    }

    private (int page, int totalPages, int start, int count) Page(IQueryCollection q, int total)
    {
        int page = QInt(q, "pageIndex") ?? 0;
        int size = S.PageSize;
        int totalPages = Math.Max(1, (int)((total + (long)size - 1) / size));
        if (page < 0 || page >= totalPages) throw new AppleError(9650);
        int start = page * size;
        return (page, totalPages, start, Math.Min(size, total - start));
    }

    private static void WritePaging(Utf8JsonWriter w, int page, int totalPages, int count)
    {
        w.WriteNumber("currentPageIndex", page);
        if (page + 1 < totalPages) w.WriteNumber("nextPageIndex", page + 1);
        w.WriteNumber("size", count);
        w.WriteNumber("totalPages", totalPages);
    }

    private void VersionChangeFault(SimLocation l, string path, IQueryCollection q)
    {
        var page = QInt(q, "pageIndex") ?? 0;
        if (S.TakeFault(l, SimulatorFaultKind.VersionChange, path, page) != null) l.NewVersion();
    }

    // ------------------------------------------------------------ assets
    private void GetAssets(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        var productType = Q(q, "productType");
        if (!string.IsNullOrEmpty(productType) && productType is not ("App" or "Book")) throw new AppleError(9602, "productType must be App or Book.");
        var pricing = QPricing(q);
        bool? revocable = QBool(q, "revocable"), deviceAssignable = QBool(q, "deviceAssignable"), unlimited = QBool(q, "unlimited");
        int? maxAv = QInt(q, "maxAvailableCount"), minAv = QInt(q, "minAvailableCount"), maxAs = QInt(q, "maxAssignedCount"), minAs = QInt(q, "minAssignedCount");
        var adamId = Q(q, "adamId");
        VersionChangeFault(l, "assets", q);
        var list = new List<AssetRow>();
        foreach (var a in l.Assets)
        {
            if (!string.IsNullOrEmpty(productType) && a.ProductType != productType) continue;
            if (pricing != null && a.PricingParam != pricing) continue;
            if (revocable != null && a.Revocable != revocable) continue;
            if (deviceAssignable != null && a.DeviceAssignable != deviceAssignable) continue;
            if (!string.IsNullOrEmpty(adamId) && a.AdamId != adamId) continue;
            if (unlimited != null && a.Unlimited != unlimited) continue;
            if (maxAv != null && a.Available > maxAv) continue;
            if (minAv != null && a.Available < minAv) continue;
            if (maxAs != null && a.Assigned > maxAs) continue;
            if (minAs != null && a.Assigned < minAs) continue;
            list.Add(a);
        }
        var (page, totalPages, start, count) = Page(q, list.Count);
        bool separate = unlimited == true;
        w.WriteStartObject();
        w.WritePropertyName("assets");
        w.WriteStartArray();
        if (!separate) for (int i = start; i < start + count; i++) WriteAsset(w, list[i], full: true);
        w.WriteEndArray();
        WritePaging(w, page, totalPages, count);
        if (separate)
        {
            w.WritePropertyName("unlimitedAssets");
            w.WriteStartArray();
            for (int i = start; i < start + count; i++) WriteAsset(w, list[i], full: false);
            w.WriteEndArray();
        }
        w.WriteString("versionId", l.VersionId);
        WriteEnvelope(w, l);
        w.WriteEndObject();
    }

    private static void WriteAsset(Utf8JsonWriter w, AssetRow a, bool full)
    {
        w.WriteStartObject();
        w.WriteString(PAdamId, a.AdamIdJson);
        w.WriteNumber("assignedCount", a.Assigned);
        if (full) w.WriteNumber("availableCount", a.Available);
        w.WriteBoolean("deviceAssignable", a.DeviceAssignable);
        w.WriteString(PPricingParam, a.PricingParamJson);
        w.WriteString("productType", a.ProductType);
        if (full) w.WriteNumber("retiredCount", a.Retired);
        w.WriteBoolean("revocable", a.Revocable);
        w.WritePropertyName("supportedPlatforms");
        w.WriteStartArray();
        foreach (var p in a.SupportedPlatforms) w.WriteStringValue(p);
        w.WriteEndArray();
        if (full) w.WriteNumber("totalCount", a.TotalReported);
        w.WriteEndObject();
    }

    // ------------------------------------------------------------ assignments
    private void GetAssignments(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        var adamId = Q(q, "adamId"); var cuid = Q(q, "clientUserId"); var serial = Q(q, "serialNumber");
        var pricing = QPricing(q);
        bool exclude = QBool(q, "excludeInactiveUsers") ?? false, userState = QBool(q, "includeUserState") ?? false;
        int since = SinceSeq(l, q);
        VersionChangeFault(l, "assignments", q);

        int[]? view = null;
        int total;
        bool plain = string.IsNullOrEmpty(adamId) && string.IsNullOrEmpty(cuid) && string.IsNullOrEmpty(serial) && pricing is null && !exclude && since < 0;
        if (plain && l.Tombstones == 0) total = l.RowCount;
        else
        {
            var key = $"{adamId}\u0001{cuid}\u0001{serial}\u0001{pricing}\u0001{exclude}\u0001{since}";
            if (!l.ViewCache.TryGetValue(key, out view))
            {
                view = BuildAssignmentView(l, adamId, cuid, serial, pricing, exclude, since);
                if (l.ViewCache.Count > 32) l.ViewCache.Clear();
                l.ViewCache[key] = view;
            }
            total = view.Length;
        }
        var (page, totalPages, start, count) = Page(q, total);
        w.WriteStartObject();
        w.WritePropertyName("assignments");
        w.WriteStartArray();
        for (int k = start; k < start + count; k++)
        {
            ref var r = ref l.Rows[view is null ? k : view[k]];
            var a = l.Assets[r.Asset];
            w.WriteStartObject();
            w.WriteString(PAdamId, a.AdamIdJson);
            if (r.IsDevice)
            {
                w.WriteString(PPricingParam, a.PricingParamJson);
                w.WriteString(PSerialNumber, l.Serials[r.Target]);
            }
            else
            {
                w.WriteString(PClientUserId, l.Cuids[r.Target]);
                var u = userState ? l.LatestUser[r.Target] : null;
                if (u?.IdHash != null) w.WriteString(PIdHash, u.IdHash);
                w.WriteString(PPricingParam, a.PricingParamJson);
                if (u != null) w.WriteString(PUserStatus, StatusNames[(int)u.Status]);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WritePaging(w, page, totalPages, count);
        w.WriteString("versionId", l.VersionId);
        WriteEnvelope(w, l);
        w.WriteEndObject();
    }

    private static int[] BuildAssignmentView(SimLocation l, string? adamId, string? cuid, string? serial, string? pricing, bool exclude, int since)
    {
        bool[]? assetOk = null;
        if (!string.IsNullOrEmpty(adamId) || pricing != null)
        {
            assetOk = new bool[l.Assets.Count];
            foreach (var a in l.Assets)
                assetOk[a.Index] = (string.IsNullOrEmpty(adamId) || a.AdamId == adamId) && (pricing is null || a.PricingParam == pricing);
        }
        int cu = string.IsNullOrEmpty(cuid) ? -1 : l.CuidOf(cuid, false);
        int sn = string.IsNullOrEmpty(serial) ? -1 : l.SerialOf(serial, false);
        if ((!string.IsNullOrEmpty(cuid) && cu < 0) || (!string.IsNullOrEmpty(serial) && sn < 0)) return [];
        var result = new List<int>();
        for (int i = 0; i < l.RowCount; i++)
        {
            ref var r = ref l.Rows[i];
            if (r.Removed) continue;
            if (since >= 0 && r.Version <= since) continue;
            if (assetOk != null && !assetOk[r.Asset]) continue;
            if (cu >= 0 && (r.IsDevice || r.Target != cu)) continue;
            if (sn >= 0 && (!r.IsDevice || r.Target != sn)) continue;
            if (exclude && !r.IsDevice && l.LatestUser[r.Target] is not { IsActive: true }) continue;
            result.Add(i);
        }
        return result.ToArray();
    }

    // ------------------------------------------------------------ users
    private void GetUsers(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        bool active = QBool(q, "activeOnly") ?? false, retired = QBool(q, "retiredOnly") ?? false;
        if (active && retired) throw new AppleError(9602, "activeOnly and retiredOnly exclude each other.");
        var cuid = Q(q, "clientUserId");
        int since = SinceSeq(l, q);
        VersionChangeFault(l, "users", q);
        List<UserRow> src = l.Users;
        IReadOnlyList<UserRow> list;
        if (!active && !retired && string.IsNullOrEmpty(cuid) && since < 0) list = src;
        else
        {
            var key = $"users\u0001{active}\u0001{retired}\u0001{cuid}\u0001{since}";
            if (!l.ViewCache.TryGetValue(key, out var view))
            {
                var tmp = new List<int>();
                for (int i = 0; i < src.Count; i++)
                {
                    var u = src[i];
                    if (active && !u.IsActive) continue;
                    if (retired && u.Status != UserStatus.Retired) continue;
                    if (!string.IsNullOrEmpty(cuid) && u.ClientUserId != cuid) continue;
                    if (since >= 0 && u.Version <= since) continue;
                    tmp.Add(i);
                }
                view = tmp.ToArray();
                if (l.ViewCache.Count > 32) l.ViewCache.Clear();
                l.ViewCache[key] = view;
            }
            list = view.Select(i => src[i]).ToList();
        }
        var (page, totalPages, start, count) = Page(q, list.Count);
        w.WriteStartObject();
        WritePaging(w, page, totalPages, count);
        w.WritePropertyName("users");
        w.WriteStartArray();
        for (int i = start; i < start + count; i++) WriteUser(w, list[i]);
        w.WriteEndArray();
        w.WriteString("versionId", l.VersionId);
        WriteEnvelope(w, l);
        w.WriteEndObject();
    }

    // ------------------------------------------------------------ status
    private void GetStatus(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        var id = Q(q, "eventId");
        if (string.IsNullOrEmpty(id) || !l.Events.TryGetValue(id, out var e)) throw new AppleError(9708);
        e.Polls.Add(S.Now);
        w.WriteStartObject();
        w.WriteString("eventStatus", !e.Applied ? "PENDING" : e.Failures.Count > 0 ? "FAILED" : "COMPLETE");
        w.WriteString("eventType", e.Type);
        if (e.Applied && e.Failures.Count > 0)
        {
            w.WritePropertyName("failures");
            w.WriteStartArray();
            foreach (var f in e.Failures) WriteFailure(w, f);
            w.WriteEndArray();
        }
        w.WriteNumber("numCompleted", e.Applied ? e.NumCompleted : 0);
        w.WriteNumber("numRequested", e.NumRequested);
        WriteEnvelope(w, l);
        w.WriteEndObject();
    }

    // ------------------------------------------------------------ writes
    private static List<string>? StringArray(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw new AppleError(9602, $"{name} must be an array of strings.");
        var list = new List<string>();
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(e.GetString())) throw new AppleError(9602, $"{name} must be an array of strings.");
            list.Add(e.GetString()!);
        }
        return list;
    }

    private static bool HasDuplicates(List<string> l) => new HashSet<string>(l, StringComparer.Ordinal).Count != l.Count;

    private async Task ManageAssetsAsync(HttpContext ctx, SimLocation l, JsonElement body, bool associate)
    {
        var assets = new List<AssetRef>();
        if (body.TryGetProperty("assets", out var av) && av.ValueKind != JsonValueKind.Null)
        {
            if (av.ValueKind != JsonValueKind.Array) throw new AppleError(9602, "assets must be an array.");
            foreach (var a in av.EnumerateArray())
            {
                if (a.ValueKind != JsonValueKind.Object || !a.TryGetProperty("adamId", out var id)) throw new AppleError(9602, "Each asset needs an adamId.");
                var adamId = id.ValueKind switch
                {
                    JsonValueKind.String => id.GetString()!,
                    JsonValueKind.Number => id.GetRawText(),
                    _ => throw new AppleError(9602, "adamId must be a string."),
                };
                if (adamId.Length == 0) throw new AppleError(9602, "adamId must not be empty.");
                var pp = Str(a, "pricingParam") ?? "STDQ";
                if (pp is not ("STDQ" or "PLUS")) throw new AppleError(9602, "pricingParam must be STDQ or PLUS.");
                assets.Add(new AssetRef(adamId, pp));
            }
        }
        if (assets.Count == 0) throw new AppleError(9718);
        if (assets.Count > S.Limits["maxAssets"]) throw new AppleError(9700);
        if (assets.Distinct().Count() != assets.Count) throw new AppleError(9703);
        var cuids = StringArray(body, "clientUserIds") ?? new();
        var serials = StringArray(body, "serialNumbers") ?? new();
        if (cuids.Count == 0 && serials.Count == 0) throw new AppleError(9719);
        if (cuids.Count > S.Limits["maxClientUserIds"]) throw new AppleError(9701);
        if (serials.Count > S.Limits["maxSerialNumbers"]) throw new AppleError(9702);
        if (HasDuplicates(cuids)) throw new AppleError(9704);
        if (HasDuplicates(serials)) throw new AppleError(9705);
        await SendAsync(ctx, 200, l, w =>
        {
            foreach (var ar in assets)
            {
                var a = l.FindAsset(ar.AdamId, ar.PricingParam);
                if (a is null) continue;
                if (!associate && !a.Revocable) throw new AppleError(9706);
                if (associate && serials.Count > 0 && !a.DeviceAssignable) throw new AppleError(9707);
            }
            var e = associate ? S.AssociateLocked(l, assets, cuids, serials) : S.DisassociateLocked(l, assets, cuids, serials);
            WriteEventResponse(w, l, e);
        });
    }

    private async Task RevokeAsync(HttpContext ctx, SimLocation l, JsonElement body)
    {
        var cuids = StringArray(body, "clientUserIds") ?? new();
        var serials = StringArray(body, "serialNumbers") ?? new();
        if (cuids.Count == 0 && serials.Count == 0) throw new AppleError(9719);
        if (cuids.Count > S.Limits["maxRevokeClientUserIds"]) throw new AppleError(9701);
        if (serials.Count > S.Limits["maxRevokeSerialNumbers"]) throw new AppleError(9702);
        if (HasDuplicates(cuids)) throw new AppleError(9704);
        if (HasDuplicates(serials)) throw new AppleError(9705);
        await SendAsync(ctx, 200, l, w => WriteEventResponse(w, l, S.RevokeLocked(l, cuids, serials)));
    }

    private async Task ManageUsersAsync(HttpContext ctx, SimLocation l, JsonElement body, string op)
    {
        if (!body.TryGetProperty("users", out var uv) || uv.ValueKind == JsonValueKind.Null) throw new AppleError(9720);
        if (uv.ValueKind != JsonValueKind.Array) throw new AppleError(9602, "users must be an array.");
        var users = new List<ReqUser>();
        foreach (var u in uv.EnumerateArray())
        {
            if (u.ValueKind != JsonValueKind.Object) throw new AppleError(9602, "Each user must be an object.");
            var id = Str(u, "clientUserId");
            if (string.IsNullOrEmpty(id)) throw new AppleError(9602, "Each user needs a clientUserId.");
            users.Add(new ReqUser(id, op == "retire" ? null : Str(u, "email"), op == "retire" ? null : Str(u, "managedAppleId")));
        }
        if (users.Count == 0) throw new AppleError(9720);
        if (users.Count > S.Limits["maxUsers"]) throw new AppleError(9714);
        if (HasDuplicates(users.Select(u => u.ClientUserId).ToList())) throw new AppleError(9715);
        foreach (var u in users)
            if (u.Email != null && !ValidEmail(u.Email)) throw new AppleError(9717);
        await SendAsync(ctx, 200, l, w =>
        {
            var e = op switch
            {
                "create" => S.CreateUsersLocked(l, users),
                "update" => S.UpdateUsersLocked(l, users),
                _ => S.RetireUsersLocked(l, users),
            };
            WriteEventResponse(w, l, e);
        });
    }

    internal static bool ValidEmail(string s)
    {
        var at = s.IndexOf('@');
        if (at <= 0 || at != s.LastIndexOf('@') || at == s.Length - 1) return false;
        if (s.Any(char.IsWhiteSpace)) return false;
        var domain = s[(at + 1)..];
        return domain.Contains('.') && !domain.StartsWith('.') && !domain.EndsWith('.');
    }
}
