using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Tests.Apple;

/// <summary>The client's subscription writes (spec 2.10.4): the bodies it sends, Apple's refusals, and a round trip through the simulator.</summary>
[Collection("Simulator")]
public sealed class SubscriptionWriteTests
{
    [Fact]
    public async Task Associate_sends_integer_adamIds_and_always_says_renewing_disassociate_says_deferred_and_never_renewing()
    {
        var apple = new TestApple();
        apple.Handler.On("subscriptions/associate", _ => ScriptedHandler.Json(200, AppleSamples.Event));
        apple.Handler.On("subscriptions/disassociate", _ => ScriptedHandler.Json(200, AppleSamples.Event));
        var client = apple.Client();

        await client.AssociateSubscriptionsAsync(new ManageSubscriptionsRequest { AdamIds = [1640000101], ClientUserIds = ["u-1", "u-2"] });
        await client.AssociateSubscriptionsAsync(new ManageSubscriptionsRequest { AdamIds = [1640000101], ClientUserIds = ["u-3"], Renewing = false, Deferred = true });
        await client.DisassociateSubscriptionsAsync(new ManageSubscriptionsRequest { AdamIds = [1640000101, 1640000102], ClientUserIds = ["u-1"], Renewing = true, Deferred = true });
        await client.DisassociateSubscriptionsAsync(new ManageSubscriptionsRequest { AdamIds = [1640000101], ClientUserIds = ["u-2"] });

        var sent = apple.Handler.Requests.Where(r => r.Path.StartsWith("subscriptions/", StringComparison.Ordinal)).ToList();
        Assert.All(sent, r => Assert.Equal("POST", r.Method));
        Assert.Equal(
        [
            """associate {"adamIds":[1640000101],"clientUserIds":["u-1","u-2"],"renewing":true}""",
            """associate {"adamIds":[1640000101],"clientUserIds":["u-3"],"renewing":false}""",
            """disassociate {"adamIds":[1640000101,1640000102],"clientUserIds":["u-1"],"deferred":true}""",
            """disassociate {"adamIds":[1640000101],"clientUserIds":["u-2"]}""",
        ], sent.Select(r => $"{r.Path["subscriptions/".Length..]} {r.Body}"));
    }

    [Theory]
    [InlineData(9817, "VppSubscriptionViaGroup", "from a group in Apple Business / Apple School Manager")]
    [InlineData(9814, "VppSubscriptionUserNotFound", "not an active VPP user")]
    [InlineData(9816, "VppSubscriptionLimitExceeded", "reads the limits anew")]
    public async Task Apple_refusing_an_association_is_said_clearly_and_not_retried(int number, string errorId, string said)
    {
        var apple = new TestApple();
        apple.Handler.On("subscriptions/associate", _ => ScriptedHandler.Error(400, number));
        var error = await Assert.ThrowsAsync<VppException>(() =>
            apple.Client().AssociateSubscriptionsAsync(new ManageSubscriptionsRequest { AdamIds = [1640000101], ClientUserIds = ["u-1"] }));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains(said, error.Message);
        Assert.Equal(1, apple.Handler.Count("subscriptions/associate"));
    }

    [Fact]
    public async Task A_seat_given_to_lapse_is_held_as_expiring_a_deferred_reclaim_keeps_it_and_an_immediate_one_frees_it()
    {
        await using var h = await EngineHarness.StartDemoAsync("Riverside High School");
        const long reads = 1640000101;
        var holders = h.Sim.GetSubscriptionAssignments(h.Location).Where(a => a.AdamId == reads).Select(a => a.ClientUserId).ToHashSet();
        var user = h.Sim.GetUsers(h.Location).First(u => u.Status is "Registered" or "Associated" && !holders.Contains(u.ClientUserId)).ClientUserId;
        var request = new ManageSubscriptionsRequest { AdamIds = [reads], ClientUserIds = [user] };

        async Task<string> RunAsync(Func<AppleClient, CancellationToken, Task<EventResponse>> submit) =>
            (await h.Tokens.CallAsync(h.CurrentToken, client => client.SubmitAndWaitAsync(ct => submit(client, ct)))).EventStatus!;
        string? Seat() => h.Sim.GetSubscriptionAssignments(h.Location).Where(a => a.AdamId == reads && a.ClientUserId == user)
            .Select(a => a.Renewing ? "renewing" : "expiring").SingleOrDefault();

        Assert.Equal("COMPLETE", await RunAsync((c, ct) => c.AssociateSubscriptionsAsync(request with { Renewing = false }, ct)));
        Assert.Equal("expiring", Seat());
        Assert.Equal("COMPLETE", await RunAsync((c, ct) => c.DisassociateSubscriptionsAsync(request with { Deferred = true }, ct)));
        Assert.Equal("expiring", Seat()); // kept until the period end
        Assert.Equal("COMPLETE", await RunAsync((c, ct) => c.DisassociateSubscriptionsAsync(request, ct)));
        Assert.Null(Seat());
    }
}
