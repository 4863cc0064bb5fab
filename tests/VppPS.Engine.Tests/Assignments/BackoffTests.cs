using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using VppPS.Engine.Assignments;
using VppPS.Engine.Directories;
using VppPS.Engine.Sync;
using VppPS.Engine.Tests.Apple;
using VppPS.Engine.Tokens;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>
/// Errors that ask to wait (9632 identical request too often, 9643 license locked by a pending
/// transfer) hold back the changes of their targets, with a clear message, until the wait has
/// passed: the runs in between send nothing for them.
/// </summary>
[Collection("Simulator")]
public sealed class BackoffTests
{
    private const string School = "Backoff School";
    private const string App = "100";

    /// <summary>Passes requests to the simulator, or answers associate requests with an Apple error while <see cref="RefuseWith"/> is set.</summary>
    private sealed class Refuser() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int? RefuseWith { get; set; }
        public int Associations;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/assets/associate", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Associations);
                if (RefuseWith is { } number)
                    return Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest)
                    {
                        Content = new StringContent($$"""{"errorNumber":{{number}},"errorMessage":"refused by the test"}""", Encoding.UTF8, "application/json"),
                    });
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Theory]
    [InlineData(9643, 60, "locked by a transfer between organizational units")]
    [InlineData(9632, 15, "sent too often")]
    public async Task A_refused_change_waits_for_its_target_and_goes_out_once_the_wait_is_over(int error, int minutes, string said)
    {
        await using var h = await EngineHarness.StartAsync(new SimulatorScenario
        {
            Locations = { new ScenarioLocation { OrgName = "District", LocationName = School, Assets = { new ScenarioAsset { AdamId = App, Name = "Ten App", TotalCount = 10 } } } },
        }, School);
        await h.SyncAsync();
        using var refuser = new Refuser { RefuseWith = error };
        using var http = new HttpClient(refuser);
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var observer = new RecordingObserver();
        var context = new VppContext(h.Context.Session, "xunit", observer, clock) { AppleHttp = http };
        var directory = new DirectoryService(context);
        directory.NewGroup("iPads", DirectoryKind.Device, null);
        directory.AddMembers("iPads", [new MemberInput { SerialNumber = "SER0001" }, new MemberInput { SerialNumber = "SER0002" }]);

        var set = await new AssignmentService(context).SetAsync(
            new SetAssignmentRequest(new AssetSelector(App, null, h.Token.Name), "iPads", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None);

        Assert.Equal(1, refuser.Associations);
        Assert.Equal(2, set.Applied!.Failed);
        Assert.Contains(observer.VerboseLines, l => l.StartsWith("WARNING: ", StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal) && l.Contains("wait until", StringComparison.Ordinal));

        // Runs within the wait send nothing for those targets, and say why.
        refuser.RefuseWith = null;
        clock.UtcNow += TimeSpan.FromMinutes(minutes - 1);
        var run = await new SyncService(context).SyncAsync(new TokenService(context).Get(h.Token.Id), forceFull: false, CancellationToken.None);
        Assert.Equal(1, refuser.Associations);
        Assert.Equal(2, run.Applied!.HeldBack);
        Assert.Contains(observer.VerboseLines, l => l.Contains("are held back", StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal));
        Assert.Empty(h.Sim.GetAssignments(School));

        // Once the wait is over they go out.
        clock.UtcNow += TimeSpan.FromMinutes(2);
        run = await new SyncService(context).SyncAsync(new TokenService(context).Get(h.Token.Id), forceFull: false, CancellationToken.None);
        Assert.Equal(2, refuser.Associations);
        Assert.Equal((2, 0), (run.Applied!.Associated, run.Applied.HeldBack));
        Assert.Equal(["SER0001", "SER0002"], h.Sim.GetAssignments(School).Select(a => a.SerialNumber!).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Apple's answer for one target in an event's failures: while <see cref="Failing"/>, associate requests go to the
    /// simulator without <see cref="Target"/>, and the status of their event names it in failures with <see cref="ErrorNumber"/>.
    /// </summary>
    private sealed class TargetFailer() : DelegatingHandler(new SocketsHttpHandler())
    {
        public required string Target { get; init; }
        public bool Failing { get; set; } = true;
        public int ErrorNumber { get; set; }
        public int RequestsNamingTarget;
        private readonly HashSet<string> _events = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (request.Method == HttpMethod.Post && path.EndsWith("/assets/associate", StringComparison.Ordinal)
                && JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken)) is JsonObject body
                && body["serialNumbers"] is JsonArray serials && serials.Any(x => (string?)x == Target))
            {
                Interlocked.Increment(ref RequestsNamingTarget);
                if (Failing)
                {
                    serials.Remove(serials.First(x => (string?)x == Target));
                    request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                    var sent = await base.SendAsync(request, cancellationToken);
                    var answer = JsonNode.Parse(await sent.Content.ReadAsStringAsync(cancellationToken))!;
                    lock (_events) _events.Add((string)answer["eventId"]!);
                    return sent;
                }
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (path.EndsWith("/status", StringComparison.Ordinal) && JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) is JsonObject status
                && _events.Any(e => request.RequestUri.Query.Contains(Uri.EscapeDataString(e), StringComparison.Ordinal)) && (string?)status["eventStatus"] != "PENDING")
            {
                status["eventStatus"] = "FAILED";
                status["numRequested"] = (int)status["numRequested"]! + 1;
                status["failures"] = new JsonArray(new JsonObject
                {
                    ["errorNumber"] = ErrorNumber, ["errorMessage"] = "refused by the test",
                    ["errorInfo"] = new JsonObject { ["serialNumbers"] = new JsonArray(Target) },
                });
                response.Content = new StringContent(status.ToJsonString(), Encoding.UTF8, "application/json");
            }
            return response;
        }
    }

    [Theory]
    [InlineData(9643, 60, "locked by a transfer between organizational units")]
    [InlineData(9632, 15, "sent too often")]
    public async Task A_change_refused_for_its_target_in_an_event_s_failures_waits_the_same_way(int error, int minutes, string said)
    {
        await using var h = await EngineHarness.StartAsync(new SimulatorScenario
        {
            Locations = { new ScenarioLocation { OrgName = "District", LocationName = School, Assets = { new ScenarioAsset { AdamId = App, Name = "Ten App", TotalCount = 10 } } } },
        }, School);
        await h.SyncAsync();
        using var failer = new TargetFailer { Target = "SER0001", ErrorNumber = error };
        using var http = new HttpClient(failer);
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var observer = new RecordingObserver();
        var context = new VppContext(h.Context.Session, "xunit", observer, clock) { AppleHttp = http };
        var directory = new DirectoryService(context);
        directory.NewGroup("iPads", DirectoryKind.Device, null);
        directory.AddMembers("iPads", [new MemberInput { SerialNumber = "SER0001" }, new MemberInput { SerialNumber = "SER0002" }]);

        var set = await new AssignmentService(context).SetAsync(
            new SetAssignmentRequest(new AssetSelector(App, null, h.Token.Name), "iPads", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None);

        Assert.Equal((1, 1), (set.Applied!.Associated, set.Applied.Failed));
        Assert.Contains(observer.VerboseLines, l => l.StartsWith("WARNING: ", StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal) && l.Contains("wait until", StringComparison.Ordinal));

        // Runs within the wait send nothing for that target.
        failer.Failing = false;
        clock.UtcNow += TimeSpan.FromMinutes(minutes - 1);
        var run = await new SyncService(context).SyncAsync(new TokenService(context).Get(h.Token.Id), forceFull: false, CancellationToken.None);
        Assert.Equal((1, 1), (failer.RequestsNamingTarget, run.Applied!.HeldBack));
        Assert.Equal(["SER0002"], h.Sim.GetAssignments(School).Select(a => a.SerialNumber!));

        // Once the wait is over it goes out.
        clock.UtcNow += TimeSpan.FromMinutes(2);
        run = await new SyncService(context).SyncAsync(new TokenService(context).Get(h.Token.Id), forceFull: false, CancellationToken.None);
        Assert.Equal((2, 1, 0), (failer.RequestsNamingTarget, run.Applied!.Associated, run.Applied.HeldBack));
        Assert.Equal(["SER0001", "SER0002"], h.Sim.GetAssignments(School).Select(a => a.SerialNumber!).Order(StringComparer.Ordinal));
    }
}
