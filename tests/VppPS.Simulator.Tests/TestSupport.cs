using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using VppPS.Simulator;

namespace VppPS.Simulator.Tests;

internal sealed record Reply(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Response, string Text)
{
    public int ErrorNumber => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("errorNumber", out var e) ? e.GetInt32() : 0;
    public string[] Keys => Json.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();
    public JsonElement this[string name] => Json.GetProperty(name);
}

/// <summary>A started simulator with a manual clock and an HttpClient; always disposed.</summary>
internal sealed class Sim : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
    public SimulatorHost Host { get; private set; } = null!;
    public ManualSimulatorClock Clock { get; } = new(Start);
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
    public SimulatorState State => Host.State;

    public static async Task<Sim> StartAsync(SimulatorScenario? scenario = null, string? tokenDir = null, ISimulatorClock? clock = null,
        Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        var sim = new Sim();
        try
        {
            sim.Host = await SimulatorHost.StartAsync(new SimulatorOptions
            {
                Scenario = scenario ?? Scenarios.Small(), TokenDirectory = tokenDir, Clock = clock ?? sim.Clock, Delay = delay,
            });
            return sim;
        }
        catch
        {
            sim.Http.Dispose();
            throw;
        }
    }

    public string Token(string location = "Test School") => Host.TokenFiles.First(t => t.LocationName == location || t.UId == location).SToken;

    public Task<Reply> Get(string path, string? token = "default") => Send(HttpMethod.Get, path, null, token);

    public Task<Reply> Post(string path, object? body, string? token = "default", string contentType = "application/json") =>
        Send(HttpMethod.Post, path, body is null ? null : body as string ?? JsonSerializer.Serialize(body), token, contentType);

    public async Task<Reply> Send(HttpMethod method, string path, string? body, string? token = "default", string contentType = "application/json")
    {
        var url = path.StartsWith("/") ? Host.BaseUrl + path : Host.AppleBaseUrl + "/" + path;
        using var req = new HttpRequestMessage(method, url);
        if (token == "default") token = Token();
        if (token != null) req.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (body != null)
        {
            req.Content = new StringContent(body, Encoding.UTF8);
            req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonElement json = default;
        if (text.Length > 0 && (text[0] == '{' || text[0] == '[')) json = JsonDocument.Parse(text).RootElement.Clone();
        return new Reply(resp.StatusCode, json, resp, text);
    }

    /// <summary>Status of an event, after the write call.</summary>
    public async Task<Reply> Status(Reply writeReply, string? token = "default")
    {
        Assert.Equal(HttpStatusCode.OK, writeReply.Status);
        return await Get("status?eventId=" + writeReply["eventId"].GetString(), token);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (Host != null) await Host.DisposeAsync();
    }
}

internal static class Scenarios
{
    public const string Keynote = "361285480";    // App, 10 licenses
    public const string Pages = "361309726";      // App, 3 licenses
    public const string Numbers = "361304891";    // App, STDQ and PLUS
    public const string NotDevice = "500000001";  // App, not device-assignable
    public const string Book = "395489426";       // Book
    public const string Free = "924620788";       // unlimited
    public const string Custom = "1598346602";    // custom B2B app

    public static SimulatorScenario Small(Action<SimulatorScenario>? tweak = null)
    {
        var s = new SimulatorScenario
        {
            PageSize = 1000,
            Limits = new() { ["maxRequestPerSecond"] = 10000 },
            Seed = 11,
            Locations =
            {
                new ScenarioLocation
                {
                    OrgName = "Test Org", LocationName = "Test School", UId = "2049025000431439",
                    WebsiteURL = "https://school.apple.com", TokenExpiresAt = Sim.Start.AddDays(300),
                    Assets =
                    {
                        new() { AdamId = Keynote, Name = "Keynote", BundleId = "com.apple.Keynote", TotalCount = 10, SupportedPlatforms = ["iOS", "macOS"] },
                        new() { AdamId = Pages, Name = "Pages", BundleId = "com.apple.Pages", TotalCount = 3 },
                        new() { AdamId = Numbers, Name = "Numbers", BundleId = "com.apple.Numbers", TotalCount = 5 },
                        new() { AdamId = Numbers, Name = "Numbers", BundleId = "com.apple.Numbers", TotalCount = 2, PricingParam = "PLUS" },
                        new() { AdamId = NotDevice, Name = "User Only App", BundleId = "com.example.useronly", TotalCount = 4, DeviceAssignable = false },
                        new() { AdamId = Book, Name = "Frankenstein", ProductType = "Book", TotalCount = 5, RetiredCount = 1 },
                        new() { AdamId = Free, Name = "Google Classroom", BundleId = "com.google.Classroom", Unlimited = true },
                        new() { AdamId = Custom, Name = "Hall Pass", BundleId = "org.example.hallpass", TotalCount = 50, IsB2BCustomApp = true },
                    },
                    Users =
                    {
                        new() { ClientUserId = "client-1", Email = "client-1@example.org", Status = "Associated" },
                        new() { ClientUserId = "client-2", Email = "client-2@example.org", Status = "Associated" },
                        new() { ClientUserId = "client-3", Email = "client-3@example.org", Status = "Registered" },
                        new() { ClientUserId = "client-old", Email = "old@example.org", Status = "Retired" },
                    },
                    Assignments =
                    {
                        new() { AdamId = Keynote, ClientUserId = "client-1" },
                        new() { AdamId = Keynote, SerialNumber = "C02000000001" },
                        new() { AdamId = Book, ClientUserId = "client-1" },
                        new() { AdamId = Pages, ClientUserId = "client-2" },
                    },
                },
                new ScenarioLocation
                {
                    OrgName = "Test Org", LocationName = "Other School", UId = "2049025000431440",
                    TokenExpiresAt = Sim.Start.AddDays(300),
                    Assets = { new() { AdamId = Keynote, Name = "Keynote", TotalCount = 1 } },
                },
            },
        };
        tweak?.Invoke(s);
        return s;
    }

    public static void AssertCountsAddUp(SimulatorState state, string location = "Test School")
    {
        var assignments = state.GetAssignments(location);
        foreach (var a in state.GetAssets(location))
        {
            Assert.Equal(a.TotalCount, a.AssignedCount + a.AvailableCount + a.RetiredCount);
            Assert.True(a.AvailableCount >= 0, $"{a.AdamId} available {a.AvailableCount}");
            Assert.Equal(a.AssignedCount, assignments.Count(x => x.AdamId == a.AdamId && x.PricingParam == a.PricingParam));
        }
    }
}
