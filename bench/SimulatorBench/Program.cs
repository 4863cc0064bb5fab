using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VppPS.Simulator;

// Starts the simulator in-process with a generated location (2,000 assets, 200,000 users,
// 1,000,000 assignments, pages of 1000) and fetches every assignment page over loopback HTTP,
// at most 5 requests in flight, with a plain HttpClient. Targets: < 3 s, < 1 GiB.
var inv = CultureInfo.InvariantCulture;
var scenario = new SimulatorScenario
{
    PageSize = 1000,
    Limits = new() { ["maxRequestPerSecond"] = 100000 },
    Locations =
    {
        new ScenarioLocation
        {
            OrgName = "Bench Org", LocationName = "Bench", UId = "9000000000000001",
            Generate = new ScenarioGenerate { Assets = 2000, Users = 200000, Assignments = 1000000, Seed = 7 },
        },
    },
};
var sw = Stopwatch.StartNew();
await using var host = await SimulatorHost.StartAsync(new SimulatorOptions { Scenario = scenario });
var load = sw.Elapsed.TotalSeconds;
var token = host.TokenFiles[0].SToken;

using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 5 }) { BaseAddress = new Uri(host.AppleBaseUrl + "/") };
http.DefaultRequestHeaders.Authorization = new("Bearer", token);

async Task<(int count, int totalPages)> Fetch(int page)
{
    using var resp = await http.GetAsync($"assignments?pageIndex={page}", HttpCompletionOption.ResponseHeadersRead);
    resp.EnsureSuccessStatusCode();
    await using var s = await resp.Content.ReadAsStreamAsync();
    using var doc = await JsonDocument.ParseAsync(s);
    return (doc.RootElement.GetProperty("assignments").GetArrayLength(), doc.RootElement.GetProperty("totalPages").GetInt32());
}

// warm-up request (JIT, connection) is not counted
await Fetch(0);
sw.Restart();
var first = await Fetch(0);
int totalPages = first.totalPages;
long rows = first.count;
int next = 1;
var workers = Enumerable.Range(0, 5).Select(async _ =>
{
    long mine = 0;
    while (true)
    {
        int p = Interlocked.Increment(ref next) - 1;
        if (p >= totalPages) break;
        mine += (await Fetch(p)).count;
    }
    return mine;
}).ToArray();
foreach (var w in workers) rows += await w;
var serve = sw.Elapsed.TotalSeconds;

// one write on the big location (builds the pair index) and its status
sw.Restart();
using (var content = new StringContent("{\"assets\":[{\"adamId\":\"1100000000\",\"pricingParam\":\"STDQ\"}],\"serialNumbers\":[\"BENCH0000001\"]}", System.Text.Encoding.UTF8, "application/json"))
using (var w = await http.PostAsync("assets/associate", content))
{
    w.EnsureSuccessStatusCode();
    var id = JsonDocument.Parse(await w.Content.ReadAsStringAsync()).RootElement.GetProperty("eventId").GetString();
    var st = JsonDocument.Parse(await http.GetStringAsync($"status?eventId={id}")).RootElement.GetProperty("eventStatus").GetString();
    Console.WriteLine($"simulator.first_write_seconds={sw.Elapsed.TotalSeconds.ToString("F3", inv)} ({st})");
}

GC.Collect();
var ws = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);
var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
Console.WriteLine($"simulator.load_seconds={load.ToString("F3", inv)}");
Console.WriteLine($"simulator.pages={totalPages}");
Console.WriteLine($"simulator.assignments_served={rows}");
Console.WriteLine($"simulator.serve_1M_assignments_seconds={serve.ToString("F3", inv)}");
Console.WriteLine($"simulator.working_set_mb={ws.ToString("F0", inv)}");
Console.WriteLine($"simulator.peak_working_set_mb={peak.ToString("F0", inv)}");
bool pass = rows == 1_000_000 && serve < 3.0 && peak < 1024;
Console.WriteLine(pass ? "PASS (serve < 3 s, peak working set < 1 GiB)" : "FAIL (targets: 1,000,000 rows, serve < 3 s, peak working set < 1 GiB)");
return pass ? 0 : 1;
