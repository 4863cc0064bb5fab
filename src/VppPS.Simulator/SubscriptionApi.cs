using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VppPS.Simulator;

/// <summary>The 2026 subscription endpoints under /mdm/v2/subscriptions (spec §2.10).</summary>
internal sealed partial class AppleApi
{
    private static readonly string[] SubscriptionFilters = ["parentAdamId", "adamId", "clientUserId"];

    // ------------------------------------------------------------ enable / disable
    private async Task SubscriptionManagementAsync(HttpContext ctx, SimLocation l, bool enable)
    {
        await SendAsync(ctx, 200, l, w =>
        {
            S.SetSubscriptionManagementLocked(l, enable);
            w.WriteStartObject();
            if (l.MdmInfo is { } m)
            {
                w.WritePropertyName("mdmInfo");
                w.WriteStartObject(); w.WriteString("id", m.Id); w.WriteString("metadata", m.Metadata); w.WriteString("name", m.Name); w.WriteEndObject();
            }
            else w.WriteNull("mdmInfo");
            w.WriteBoolean("subscriptionManagement", enable);
            WriteSubscriptionEnvelope(w, l);
            w.WriteEndObject();
        });
    }

    /// <summary>tokenExpirationDate (as tokenExpirationDateMode says) and uId; subscription answers other than enable/disable have no mdmInfo.</summary>
    private void WriteSubscriptionEnvelope(Utf8JsonWriter w, SimLocation l)
    {
        if (S.Scenario.TokenExpirationDateMode != "within15Days" || l.TokenExpiresAt - S.Now <= TimeSpan.FromDays(15))
            w.WriteString("tokenExpirationDate", SimulatorState.FormatDate(l.TokenExpiresAt));
        w.WriteString("uId", l.UId);
    }

    // ------------------------------------------------------------ query filters and cursors
    /// <summary>An [int64] filter: repeated values match any; a value that is not a non-negative integer is 9813.</summary>
    private static HashSet<long>? QLongs(IQueryCollection q, string name)
    {
        var v = q[name];
        if (v.Count == 0) return null;
        var set = new HashSet<long>();
        foreach (var s in v)
        {
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var x)) throw new AppleError(9813);
            set.Add(x);
        }
        return set;
    }

    private static HashSet<string>? QStrings(IQueryCollection q, string name)
    {
        var v = q[name];
        if (v.Count == 0) return null;
        return new HashSet<string>(v.Where(s => s != null).Select(s => s!), StringComparer.Ordinal);
    }

    /// <summary>The filters of a request, canonical (order and repetition of values do not matter): a cursor is bound to them.</summary>
    private static string FilterKey(IQueryCollection q, params string[] names)
    {
        var sb = new StringBuilder();
        foreach (var n in names)
        {
            sb.Append(n).Append('=');
            foreach (var v in q[n].Where(v => v != null).Distinct().OrderBy(v => v, StringComparer.Ordinal)) sb.Append(v).Append('\u0001');
            sb.Append('\u0002');
        }
        return sb.ToString();
    }

    /// <summary>
    /// One cursor page of rows (in their sequence order). A cursor must have been issued by this location for this
    /// endpoint and these filters (else 9812); it stays valid across writes, since it names the last row served, not a
    /// position. nextCursor (Base64 of a UUID, like Apple's example) only when rows remain after the page.
    /// </summary>
    private List<T> CursorPage<T>(SimLocation l, IQueryCollection q, string endpoint, string filterKey, IEnumerable<(long Seq, T Row)> rows, out string? nextCursor)
    {
        long after = -1;
        int pageNo = 0;
        var c = Q(q, "cursor");
        if (!string.IsNullOrEmpty(c))
        {
            if (!l.Cursors.TryGetValue(c, out var cs) || cs.Endpoint != endpoint || cs.FilterKey != filterKey) throw new AppleError(9812);
            after = cs.LastSeq;
            pageNo = cs.PageNo;
        }
        if (S.TakeFault(l, SimulatorFaultKind.VersionChange, endpoint, pageNo) != null) l.NewSubVersion();
        var page = new List<T>();
        long last = after;
        nextCursor = null;
        foreach (var (seq, row) in rows)
        {
            if (seq <= after) continue;
            if (page.Count == S.PageSize)
            {
                nextCursor = Convert.ToBase64String(Encoding.UTF8.GetBytes(l.NewSubGuid()));
                l.Cursors[nextCursor] = new SubCursor(endpoint, filterKey, last, pageNo + 1);
                break;
            }
            page.Add(row);
            last = seq;
        }
        return page;
    }

    private void WritePageEnd(Utf8JsonWriter w, SimLocation l, string? nextCursor)
    {
        if (nextCursor != null) w.WriteString("nextCursor", nextCursor);
        WriteSubscriptionEnvelope(w, l);
        w.WriteString("versionId", l.SubVersionId);
        w.WriteEndObject();
    }

    // ------------------------------------------------------------ GET /subscriptions
    private void GetSubscriptions(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        var parents = QLongs(q, "parentAdamId");
        var ids = QLongs(q, "adamId");
        var rows = l.Subs
            .Where(s => (parents is null || s.ParentAdamId is { } p && parents.Contains(p)) && (ids is null || ids.Contains(s.AdamId)))
            .Select(s => ((long)s.Index, s));
        var page = CursorPage(l, q, "subscriptions", FilterKey(q, "parentAdamId", "adamId"), rows, out var next);
        var counts = SimulatorState.CountsLocked(l);
        w.WriteStartObject();
        w.WritePropertyName("subscriptions");
        w.WriteStartArray();
        foreach (var s in page)
        {
            var n = counts[s.Index];
            w.WriteStartObject();
            if (s.ParentAdamId is { } p) w.WriteNumber("parentAdamId", p); else w.WriteNull("parentAdamId");
            w.WriteNumber("adamId", s.AdamId);
            w.WriteString("status", s.Status);
            w.WriteString("periodEndDate", s.PeriodEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WritePropertyName("counts");
            w.WriteStartObject();
            SimulatorState.WriteBreakdown(w, "assigned", n.AssignedRenewing, n.AssignedExpiring);
            SimulatorState.WriteBreakdown(w, "available", s.TotalRenewing - n.UsedRenewing, s.TotalExpiring - n.UsedExpiring);
            SimulatorState.WriteBreakdown(w, "total", s.TotalRenewing, s.TotalExpiring);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WritePageEnd(w, l, next);
    }

    // ------------------------------------------------------------ GET /subscriptions/assignments
    private void GetSubscriptionAssignments(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        var parents = QLongs(q, "parentAdamId");
        var ids = QLongs(q, "adamId");
        var users = QStrings(q, "clientUserId");
        var rows = l.SubAssigns
            .Where(r => !r.Removed)
            .Where(r => parents is null || l.Subs[r.Sub].ParentAdamId is { } p && parents.Contains(p))
            .Where(r => ids is null || ids.Contains(l.Subs[r.Sub].AdamId))
            .Where(r => users is null || users.Contains(l.Cuids[r.Cuid]))
            .Select(r => (r.Seq, r));
        var page = CursorPage(l, q, "subscriptions/assignments", FilterKey(q, SubscriptionFilters), rows, out var next);
        w.WriteStartObject();
        w.WritePropertyName("assignments");
        w.WriteStartArray();
        foreach (var r in page)
        {
            w.WriteStartObject();
            w.WriteNumber("adamId", l.Subs[r.Sub].AdamId);
            w.WriteString("clientUserId", l.Cuids[r.Cuid]);
            w.WriteBoolean("renewing", r.Renewing);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WritePageEnd(w, l, next);
    }

    // ------------------------------------------------------------ GET /subscriptions/admins
    private void GetSubscriptionAdmins(Utf8JsonWriter w, SimLocation l, IQueryCollection q)
    {
        var ids = QLongs(q, "adamId");
        bool userState = QBool(q, "includeUserState") ?? false;
        var rows = l.SubAdmins
            .Where(a => !a.Removed && (ids is null || ids.Contains(l.Subs[a.Sub].AdamId)))
            .Select(a => (a.Seq, a));
        var page = CursorPage(l, q, "subscriptions/admins", FilterKey(q, "adamId"), rows, out var next);
        w.WriteStartObject();
        w.WritePropertyName("admins");
        w.WriteStartArray();
        foreach (var a in page)
        {
            var u = l.LatestUser[a.Cuid];
            w.WriteStartObject();
            w.WriteNumber("adamId", l.Subs[a.Sub].AdamId);
            w.WriteString("clientUserId", l.Cuids[a.Cuid]);
            if (u?.IdHash != null) w.WriteString("idHash", u.IdHash);
            if (userState && u != null) w.WriteString("userStatus", StatusNames[(int)u.Status]);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WritePageEnd(w, l, next);
    }

    // ------------------------------------------------------------ writes
    private static async Task<JsonElement> ReadSubscriptionBodyAsync(HttpContext ctx)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new AppleError(9811);
            return doc.RootElement.Clone();
        }
        catch (JsonException) { throw new AppleError(9811); }
    }

    /// <summary>
    /// The checks of §2.10.4 that need no state, in its order: 9811 (shape: adamIds and clientUserIds non-empty arrays
    /// without duplicates, no serialNumbers, renewing/deferred boolean), then 9816 (limits). JSON null counts as absent.
    /// </summary>
    private (List<JsonElement> AdamIds, List<string> ClientUserIds) ParseManageSubscriptions(JsonElement body, bool admins)
    {
        if (body.TryGetProperty("serialNumbers", out _)) throw new AppleError(9811);
        if (!body.TryGetProperty("adamIds", out var ai) || ai.ValueKind != JsonValueKind.Array || ai.GetArrayLength() == 0) throw new AppleError(9811);
        if (!body.TryGetProperty("clientUserIds", out var ci) || ci.ValueKind != JsonValueKind.Array || ci.GetArrayLength() == 0) throw new AppleError(9811);
        var adamIds = ai.EnumerateArray().ToList();
        if (adamIds.Select(a => a.GetRawText()).Distinct(StringComparer.Ordinal).Count() != adamIds.Count) throw new AppleError(9811);
        var cuids = new List<string>();
        foreach (var c in ci.EnumerateArray())
        {
            if (c.ValueKind != JsonValueKind.String) throw new AppleError(9811);
            cuids.Add(c.GetString()!);
        }
        if (HasDuplicates(cuids)) throw new AppleError(9811);
        if (!admins)
            foreach (var flag in new[] { "renewing", "deferred" })
                if (body.TryGetProperty(flag, out var f) && f.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                    throw new AppleError(9811);
        if (adamIds.Count > S.Limits["maxSubscriptions"] || cuids.Count > S.Limits["maxSubscriptionClientUserIds"]) throw new AppleError(9816);
        return (adamIds, cuids);
    }

    /// <summary>9813: every adamId a JSON integer naming a subscription of the organizational unit (a quoted id is refused).</summary>
    private static List<SubRow> ResolveSubscriptionsLocked(SimLocation l, List<JsonElement> adamIds)
    {
        var subs = new List<SubRow>();
        foreach (var a in adamIds)
        {
            if (a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out var id) || !l.SubById.TryGetValue(id, out var sub)) throw new AppleError(9813);
            subs.Add(sub);
        }
        return subs;
    }

    /// <summary>9814: every clientUserId an active (Registered or Associated) user.</summary>
    private static void CheckActiveUsersLocked(SimLocation l, List<string> cuids)
    {
        foreach (var c in cuids) if (l.ActiveUser(c) is null) throw new AppleError(9814);
    }

    private static bool Flag(JsonElement body, string name, bool absent) =>
        body.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : absent;

    private async Task ManageSubscriptionsAsync(HttpContext ctx, SimLocation l, JsonElement body, bool associate)
    {
        var (adamIds, cuids) = ParseManageSubscriptions(body, admins: false);
        bool renewing = Flag(body, "renewing", true), deferred = Flag(body, "deferred", false);
        await SendAsync(ctx, 200, l, w =>
        {
            var subs = ResolveSubscriptionsLocked(l, adamIds);
            if (associate && subs.Any(s => s.Status != "ACTIVE")) throw new AppleError(9811);
            CheckActiveUsersLocked(l, cuids);
            var held = subs.SelectMany(s => cuids.Select(c => l.LiveSubAssign.GetValueOrDefault((s.Index, l.CuidOf(c, false))))).ToList();
            if (held.Any(h => h is { ViaGroup: true })) throw new AppleError(9817);
            if (!associate && held.Any(h => h is null)) throw new AppleError(9815);
            var e = associate ? S.AssociateSubscriptionsLocked(l, subs, cuids, renewing) : S.DisassociateSubscriptionsLocked(l, subs, cuids, deferred);
            WriteEventResponse(w, l, e);
        });
    }

    private async Task ManageSubscriptionAdminsAsync(HttpContext ctx, SimLocation l, JsonElement body, bool add)
    {
        var (adamIds, cuids) = ParseManageSubscriptions(body, admins: true);
        await SendAsync(ctx, 200, l, w =>
        {
            var subs = ResolveSubscriptionsLocked(l, adamIds);
            CheckActiveUsersLocked(l, cuids);
            S.ChangeSubscriptionAdminsLocked(l, subs, cuids, add);
            w.WriteStartObject();
            WriteSubscriptionEnvelope(w, l);
            w.WriteString("versionId", l.SubVersionId);
            w.WriteEndObject();
        });
    }
}
