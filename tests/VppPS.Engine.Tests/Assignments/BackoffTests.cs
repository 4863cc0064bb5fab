using System.Net;
using System.Text;
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
}
