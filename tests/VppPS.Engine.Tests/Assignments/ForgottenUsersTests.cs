using System.Net.Http.Headers;
using System.Text;
using VppPS.Engine.Assignments;
using VppPS.Engine.Configuration;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;
using VppPS.Engine.Sync;
using VppPS.Simulator;

namespace VppPS.Engine.Tests.Assignments;

/// <summary>
/// VPP users VppPS created that Apple no longer knows (retired behind VppPS's back: 9609; or lost,
/// as by a simulator that restarted: missing from a full read) are forgotten, created again by the
/// next plan and given their licenses anew, instead of being retried under the old clientUserIds
/// at every sync. A targeted command (Add-VppAppLicense) counts as failed only its own targets.
/// </summary>
[Collection("Simulator")]
public sealed class ForgottenUsersTests
{
    private const string School = "Forgotten School";
    private const string Reader = "200";
    private const string Writer = "300";
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    private static SimulatorScenario Scenario() => new()
    {
        Locations =
        {
            new ScenarioLocation
            {
                OrgName = "Forgotten District", LocationName = School,
                Assets =
                {
                    new ScenarioAsset { AdamId = Reader, Name = "Reader", TotalCount = 10, DeviceAssignable = false },
                    new ScenarioAsset { AdamId = Writer, Name = "Writer", TotalCount = 10, DeviceAssignable = false },
                },
            },
        },
    };

    private static string Person(string name) => $"{name}@forgotten.example";

    private static async Task<EngineHarness> StartAsync(SimulatorScenario? scenario = null)
    {
        var h = await EngineHarness.StartAsync(scenario ?? Scenario(), School);
        await h.SyncAsync();
        var directory = new DirectoryService(h.Context);
        directory.NewGroup("Teachers", DirectoryKind.User, null);
        directory.AddMembers("Teachers", new[] { "ann", "bob" }.Select(n => new MemberInput { UserPrincipalName = Person(n), Mail = Person(n) }).ToList());
        directory.NewGroup("Office", DirectoryKind.User, null);
        directory.AddMembers("Office", [new MemberInput { UserPrincipalName = Person("carl"), Mail = Person("carl") }]);
        return h;
    }

    private static Task<SetAssignmentResult> Assign(EngineHarness h, string app, string group) =>
        new AssignmentService(h.Context).SetAsync(new SetAssignmentRequest(new AssetSelector(app, null, h.Token.Name), group, AssignmentIntent.Required, null, false),
            whatIf: false, CancellationToken.None);

    /// <summary>Person -> clientUserId of the VPP user VppPS holds for them.</summary>
    private static Dictionary<string, string> Managed(EngineHarness h) => h.Context.Store.Read(c =>
    {
        using var command = c.Command(null, "SELECT u.user_principal_name, mu.client_user_id FROM managed_users mu JOIN directory_users u ON u.id = mu.directory_user_id WHERE mu.retired_at IS NULL");
        using var reader = command.ExecuteReader();
        var map = new Dictionary<string, string>();
        while (reader.Read()) map[reader.GetString(0)] = reader.GetString(1);
        return map;
    });

    private static List<string> Holders(EngineHarness h, string app)
    {
        var people = Managed(h).ToDictionary(p => p.Value, p => p.Key);
        return h.Sim.GetAssignments(School).Where(a => a.AdamId == app).Select(a => people.GetValueOrDefault(a.ClientUserId!, a.ClientUserId!)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Someone retires VPP users at Apple, outside VppPS.</summary>
    private static async Task RetireBehindVppPS(EngineHarness h, params string[] clientUserIds)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, h.Host.AppleBaseUrl + "/users/retire")
        {
            Content = new StringContent($$"""{"users":[{{string.Join(",", clientUserIds.Select(id => $$"""{"clientUserId":"{{id}}"}"""))}}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", h.Host.TokenFiles.Single(t => t.LocationName == School).SToken);
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
        Assert.All(clientUserIds, id => Assert.Equal("Retired", h.SimUsers().Single(u => u.ClientUserId == id).Status));
    }

    [Fact]
    public async Task A_VPP_user_Apple_answers_9609_for_is_forgotten_and_created_again_by_the_next_sync_with_its_licenses()
    {
        await using var h = await StartAsync();
        await Assign(h, Reader, "Teachers");
        var before = Managed(h);
        Assert.Equal([Person("ann"), Person("bob")], Holders(h, Reader));

        await RetireBehindVppPS(h, before[Person("ann")]);
        // The next change for Ann is refused (9609): VppPS forgets her VPP user and says so.
        var writer = await Assign(h, Writer, "Teachers");
        Assert.Equal(1, writer.Applied!.Failed);
        Assert.DoesNotContain(Person("ann"), Managed(h).Keys);

        // The next sync creates a VPP user for her again and gives both licenses; nothing is retried under the old id.
        var run = await h.SyncAsync().WaitAsync(Guard);
        Assert.Equal(SyncStatus.completed, run.Status);
        Assert.Equal((1, 0), (run.Applied!.UsersCreated, run.Applied.Failed));
        var after = Managed(h);
        Assert.NotEqual(before[Person("ann")], after[Person("ann")]);
        Assert.Equal(before[Person("bob")], after[Person("bob")]);
        Assert.Equal([Person("ann"), Person("bob")], Holders(h, Reader));
        Assert.Equal([Person("ann"), Person("bob")], Holders(h, Writer));
        Assert.True(new AssignmentApplier(h.Context).Plan(h.CurrentToken).IsEmpty);
        Assert.Equal(h.SimLicenses(), h.StateLicenses());
    }

    /// <summary>Refuses (9643, the whole request) every associate request naming <see cref="Target"/>, passes the rest to the simulator.</summary>
    private sealed class TargetRefuser() : DelegatingHandler(new SocketsHttpHandler())
    {
        public string? Target { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Target is not null && request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/assets/associate", StringComparison.Ordinal)
                && (await request.Content!.ReadAsStringAsync(cancellationToken)).Contains(Target, StringComparison.Ordinal))
                return new HttpResponseMessage(System.Net.HttpStatusCode.BadRequest)
                {
                    Content = new StringContent("""{"errorNumber":9643,"errorMessage":"refused by the test"}""", Encoding.UTF8, "application/json"),
                };
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task Add_VppAppLicense_counts_as_failed_only_its_own_target_not_the_plan_s_other_retries()
    {
        await using var h = await StartAsync();
        using var refuser = new TargetRefuser();
        using var http = new HttpClient(refuser);
        var clock = new Apple.FakeClock(DateTimeOffset.UtcNow);
        var context = new VppContext(h.Context.Session, "xunit", NullObserver.Instance, clock) { AppleHttp = http };
        var service = new AssignmentService(context);
        await service.SetAsync(new SetAssignmentRequest(new AssetSelector(Reader, null, h.Token.Name), "Teachers", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None);
        refuser.Target = Managed(h)[Person("ann")];
        var writer = await service.SetAsync(new SetAssignmentRequest(new AssetSelector(Writer, null, h.Token.Name), "Teachers", AssignmentIntent.Required, null, false), whatIf: false, CancellationToken.None);
        Assert.Equal(2, writer.Applied!.Failed);

        // Once their wait is over, the apply of Carl's license retries Ann's and Bob's Writer licenses, refused again: not Carl's failures.
        clock.UtcNow += TimeSpan.FromMinutes(61);
        var added = await service.AddLicenseAsync(new AssetSelector(Reader, null, h.Token.Name), Person("carl"), null, force: true, CancellationToken.None);
        Assert.Equal((1, 0), (added.Associated, added.Failed));
        Assert.Equal([Person("ann"), Person("bob"), Person("carl")], Holders(h, Reader));
        Assert.Empty(Holders(h, Writer));
    }

    [Fact]
    public async Task VPP_users_a_restarted_Apple_no_longer_lists_are_created_again_by_the_full_sync_and_get_their_licenses()
    {
        await using var h = await StartAsync();
        await Assign(h, Reader, "Teachers");
        var before = Managed(h);
        Assert.Equal([Person("ann"), Person("bob")], Holders(h, Reader));

        // Apple restarts with the scenario it started with: the VPP users and licenses VppPS gave are gone.
        var again = Scenario();
        again.Limits = new Dictionary<string, int> { ["maxRequestPerSecond"] = 10_000 };
        await using var restarted = await SimulatorHost.StartAsync(new SimulatorOptions { Scenario = again });
        // The harness's context reads its session's overrides: point them at the restarted Apple.
        var overrides = (Dictionary<string, string>)h.Context.SettingOverrides!;
        try
        {
            overrides["ServiceUrl"] = restarted.AppleBaseUrl;
            overrides["MetadataServiceUrl"] = restarted.MetadataBaseUrl;
            var run = await h.SyncAsync(forceFull: true).WaitAsync(Guard);

            Assert.Equal(SyncStatus.completed, run.Status);
            Assert.Equal((2, 2, 0), (run.Applied!.UsersCreated, run.Applied.Associated, run.Applied.Failed));
            var after = Managed(h);
            Assert.Equal([Person("ann"), Person("bob")], after.Keys.Order(StringComparer.Ordinal));
            Assert.All(after, p => Assert.NotEqual(before[p.Key], p.Value));
            var holders = restarted.State.GetAssignments(School).Where(a => a.AdamId == Reader).Select(a => a.ClientUserId!).Order(StringComparer.Ordinal);
            Assert.Equal(after.Values.Order(StringComparer.Ordinal), holders);
            Assert.True(new AssignmentApplier(h.Context).Plan(h.CurrentToken).IsEmpty);
        }
        finally
        {
            overrides["ServiceUrl"] = h.Host.AppleBaseUrl;
            overrides["MetadataServiceUrl"] = h.Host.MetadataBaseUrl;
        }
    }
}
