using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

public class EventTests
{
    private static readonly ManageAssetsRequest Request = new() { Assets = [new RequestAsset { AdamId = "408709785" }], ClientUserIds = ["client-1"] };

    private static AppleClientOptions Polling => new()
    {
        RequestTimeout = Timeout.InfiniteTimeSpan,
        EventPollInterval = TimeSpan.FromSeconds(30),
        EventMaxWait = TimeSpan.FromMinutes(10),
    };

    [Fact]
    public async Task Polls_until_complete()
    {
        var apple = new TestApple();
        apple.Handler.On("assets/associate", _ => ScriptedHandler.Json(200, AppleSamples.Event));
        apple.Handler.On("status",
            _ => ScriptedHandler.Json(200, AppleSamples.Status("PENDING")),
            _ => ScriptedHandler.Json(200, AppleSamples.Status("PENDING")),
            _ => ScriptedHandler.Json(200, AppleSamples.Status("COMPLETE")));
        var client = apple.Client(Polling);

        var status = await client.SubmitAndWaitAsync(ct => client.AssociateAssetsAsync(Request, ct));

        Assert.Equal(StatusResponse.Complete, status.EventStatus);
        Assert.Equal(3, apple.Handler.Count("status"));
        Assert.Equal("ed3edfc3-e617-465e-b309-a17925266e14", apple.Handler.Requests.First(r => r.Path == "status").QueryValue("eventId"));
        Assert.Equal(2, apple.Time.Delays.Count(d => d == TimeSpan.FromSeconds(30)));
        Assert.Equal("""{"assets":[{"adamId":"408709785"}],"clientUserIds":["client-1"]}""", apple.Handler.Requests.Single(r => r.Path == "assets/associate").Body);
    }

    [Fact]
    public async Task A_failed_event_returns_its_failures()
    {
        var apple = new TestApple();
        apple.Handler.On("status", _ => ScriptedHandler.Json(200, AppleSamples.Status("PENDING")), _ => ScriptedHandler.Json(200, AppleSamples.FailedStatus));

        var status = await apple.Client(Polling).WaitForEventAsync("e1");

        Assert.Equal(StatusResponse.Failed, status.EventStatus);
        Assert.Equal(["client-4"], status.Failures![0].ErrorInfo!.ClientUserIds!);
    }

    [Fact]
    public async Task An_event_still_pending_after_the_limit_is_an_error()
    {
        var apple = new TestApple();
        apple.Handler.On("status", _ => ScriptedHandler.Json(200, AppleSamples.Status("PENDING")));

        var error = await Assert.ThrowsAsync<VppException>(() => apple.Client(Polling).WaitForEventAsync("e1"));

        Assert.Equal(("VppAppleEventPending", "e1"), (error.ErrorId, error.Target));
        Assert.Contains("10 minutes", error.Message);
        Assert.Equal(21, apple.Handler.Count("status")); // at 0, 30 s, ..., 10 min
    }

    [Fact]
    public async Task User_writes_post_their_bodies_to_their_endpoints()
    {
        var apple = new TestApple();
        foreach (var path in new[] { "users/create", "users/retire", "assets/disassociate" })
            apple.Handler.On(path, _ => ScriptedHandler.Json(200, AppleSamples.Event));
        var client = apple.Client();
        var users = new ManageUsersRequest { Users = [new RequestUser { ClientUserId = "c1", Email = "c1@example.org" }] };

        await client.CreateUsersAsync(users);
        await client.RetireUsersAsync(new ManageUsersRequest { Users = [new RequestUser { ClientUserId = "c1" }] });
        await client.DisassociateAssetsAsync(Request);

        Assert.Equal("""{"users":[{"clientUserId":"c1","email":"c1@example.org"}]}""", apple.Handler.Requests.Single(r => r.Path == "users/create").Body);
        Assert.Equal("""{"users":[{"clientUserId":"c1"}]}""", apple.Handler.Requests.Single(r => r.Path == "users/retire").Body);
        Assert.All(apple.Handler.Requests.Where(r => r.Path != "service/config"), r => Assert.Equal("POST", r.Method));
    }
}
