using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VppPS.Simulator;

/// <summary>The /_sim/ control API: what tests and demos do to the simulated world. See docs/simulator.md.</summary>
internal sealed class ControlApi
{
    private readonly SimulatorState S;
    public ControlApi(SimulatorState s) => S = s;

    public async Task HandleAsync(HttpContext ctx, string sub)
    {
        var seg = sub.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var m = ctx.Request.Method;
        try
        {
            JsonElement body = default;
            if (m is "POST" or "PUT" && ctx.Request.ContentLength != 0)
            {
                try
                {
                    using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
                    body = doc.RootElement.Clone();
                }
                catch (JsonException) { throw new ArgumentException("The body is not valid JSON."); }
            }
            object? result = Route(m, seg, body);
            if (result is null) { await Reply(ctx, 404, new { error = $"No control endpoint {m} /_sim/{sub}" }); return; }
            await Reply(ctx, 200, result);
        }
        catch (KeyNotFoundException e) { await Reply(ctx, 404, new { error = e.Message }); }
        catch (InvalidOperationException e) { await Reply(ctx, 409, new { error = e.Message }); }
        catch (ArgumentException e) { await Reply(ctx, 400, new { error = e.Message }); }
    }

    private object? Route(string m, string[] seg, JsonElement body)
    {
        static string? Str(JsonElement b, string n) =>
            b.ValueKind == JsonValueKind.Object && b.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        static long? Num(JsonElement b, string n) =>
            b.ValueKind == JsonValueKind.Object && b.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
        var ok = new { ok = true };

        switch (seg)
        {
            case ["locations"] when m == "GET": return S.Locations;
            case ["tokens"] when m == "GET": return S.TokenFiles;
            case ["notifications"] when m == "GET": return S.Notifications;
            case ["clock"] when m == "GET": return new { now = S.Now };
            case ["clock", "advance"] when m == "POST":
            {
                var ms = Num(body, "milliseconds") ?? 0;
                var s = Num(body, "seconds") ?? 0;
                if (ms < 0 || s < 0) throw new ArgumentException("The clock only moves forward.");
                S.AdvanceClock(TimeSpan.FromSeconds(s) + TimeSpan.FromMilliseconds(ms));
                return new { now = S.Now };
            }
            case ["events", "release"] when m == "POST": return new { released = S.ReleasePendingEvents() };
            case ["locations", var loc] when m == "GET": return S.GetLocation(loc);
            case ["locations", var loc, "claim"] when m == "POST":
                S.ClaimByOtherMdm(loc, Str(body, "id") ?? "5b6d5c9e-0000-4000-8000-0000000000aa", Str(body, "name") ?? "Other MDM", Str(body, "metadata") ?? "other-mdm.example.com");
                return S.GetLocation(loc);
            case ["locations", var loc, "expire"] when m == "POST": S.ExpireToken(loc); return S.GetLocation(loc);
            case ["locations", var loc, "revoke"] when m == "POST": S.RevokeToken(loc); return S.GetLocation(loc);
            case ["locations", var loc, "renew"] when m == "POST": S.RenewToken(loc); return S.GetLocation(loc);
            case ["locations", var loc, "assets"] when m == "GET": return S.GetAssets(loc);
            case ["locations", var loc, "assignments"] when m == "GET": return S.GetAssignments(loc);
            case ["locations", var loc, "users"] when m == "GET": return S.GetUsers(loc);
            case ["locations", var loc, "assets", var adamId, "buy" or "refund"] when m == "POST":
            {
                var count = (int)(Num(body, "count") ?? throw new ArgumentException("count is required."));
                if (count <= 0) throw new ArgumentException("count must be positive.");
                var pp = Str(body, "pricingParam") ?? "STDQ";
                if (seg[4] == "buy") S.BuyLicenses(loc, adamId, count, pp); else S.RefundLicenses(loc, adamId, count, pp);
                return S.GetAssets(loc).First(a => a.AdamId == adamId && a.PricingParam == pp);
            }
            case ["locations", var loc, "users", var cuid, "accept"] when m == "POST":
                S.AcceptInvitation(loc, cuid, Str(body, "idHash"));
                return S.GetUsers(loc).Last(u => u.ClientUserId == cuid);
            case ["locations", var loc, "faults"] when m == "POST":
                S.ScheduleFault(loc, ParseFault(body));
                return ok;
            case ["locations", var loc, "faults"] when m == "DELETE": S.ClearFaults(loc); return ok;
            case ["locations", var loc, "events", "release"] when m == "POST": return new { released = S.ReleasePendingEvents(loc) };
            case ["locations", var loc, "requests"] when m == "GET": return S.GetRequestStats(loc);
            case ["locations", var loc, "requests", "reset"] when m == "POST": S.ResetRequestStats(loc); return S.GetRequestStats(loc);
            case ["locations", var loc, "events", var eventId, "polls"] when m == "GET": return S.GetStatusPolls(loc, eventId);
            case ["limits"] when m == "GET": return S.EffectiveLimits;
            case ["limits"] when m == "POST":
            {
                if (body.ValueKind != JsonValueKind.Object) throw new ArgumentException("Send an object of limit names and integer values.");
                var changes = new Dictionary<string, int>();
                foreach (var p in body.EnumerateObject())
                    changes[p.Name] = p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var v) ? v : throw new ArgumentException($"Limit {p.Name} must be an integer.");
                S.SetLimits(changes);
                return S.EffectiveLimits;
            }
            case ["locations", var loc, "subscriptions"] when m == "GET": return S.GetSubscriptions(loc);
            case ["locations", var loc, "subscriptions", "assignments"] when m == "GET": return S.GetSubscriptionAssignments(loc);
            case ["locations", var loc, "subscriptions", "admins"] when m == "GET": return S.GetSubscriptionAdmins(loc);
            case ["locations", var loc, "subscriptions", var sid, "buy"] when m == "POST":
            {
                var id = long.TryParse(sid, out var x) ? x : throw new ArgumentException("The subscription adamId must be an integer.");
                S.BuySubscriptionSeats(loc, id, (int)(Num(body, "renewing") ?? 0), (int)(Num(body, "expiring") ?? 0), Num(body, "parentAdamId"));
                return S.GetSubscriptions(loc).First(s => s.AdamId == id);
            }
            case ["locations", var loc, "subscriptions", var sid, "status"] when m == "POST":
            {
                var id = long.TryParse(sid, out var x) ? x : throw new ArgumentException("The subscription adamId must be an integer.");
                S.SetSubscriptionStatus(loc, id, Str(body, "status") ?? throw new ArgumentException("status is required."));
                return S.GetSubscriptions(loc).First(s => s.AdamId == id);
            }
        }
        return null;
    }

    internal static SimulatorFault ParseFault(JsonElement b)
    {
        if (b.ValueKind != JsonValueKind.Object) throw new ArgumentException("A fault needs a JSON body with 'kind'.");
        var kindText = b.TryGetProperty("kind", out var k) ? k.ValueKind == JsonValueKind.Number ? k.GetRawText() : k.GetString() : null;
        var kind = kindText?.ToLowerInvariant() switch
        {
            "unavailable" or "503" => SimulatorFaultKind.Unavailable,
            "internalerror" or "500" or "9603" => SimulatorFaultKind.InternalError,
            "ratelimited" or "429" or "9646" => SimulatorFaultKind.RateLimited,
            "slow" => SimulatorFaultKind.Slow,
            "versionchange" => SimulatorFaultKind.VersionChange,
            "staypending" => SimulatorFaultKind.StayPending,
            _ => throw new ArgumentException($"Unknown fault kind '{kindText}'. Use unavailable, internalError, rateLimited, slow, versionChange or stayPending."),
        };
        var f = new SimulatorFault { Kind = kind };
        if (b.TryGetProperty("count", out var c)) f.Count = c.GetInt32();
        if (b.TryGetProperty("retryAfterSeconds", out var r)) f.RetryAfterSeconds = r.GetInt32();
        if (b.TryGetProperty("delayMs", out var d)) f.DelayMs = d.GetInt32();
        if (b.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String) f.Path = p.GetString();
        if (b.TryGetProperty("minPageIndex", out var mp)) f.MinPageIndex = mp.GetInt32();
        return f;
    }

    private static readonly JsonSerializerOptions Out = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private static async Task Reply(HttpContext ctx, int status, object value)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(ctx.Response.Body, value, value.GetType(), Out);
    }
}
