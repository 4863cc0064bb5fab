using VppPS.Engine.Apple;

namespace VppPS.Engine.Tests.Apple;

/// <summary>An AppleClient wired to a scripted handler and virtual time.</summary>
internal sealed class TestApple
{
    public ScriptedHandler Handler { get; } = new();
    public VirtualTimeProvider Time { get; } = new();
    public FakeClock Clock { get; } = new();
    public RecordingObserver Observer { get; } = new();

    public AppleClient Client(AppleClientOptions? options = null, AppleRequestRateLimiter? rateLimiter = null) =>
        new(AppleSamples.SToken, new HttpClient(Handler), Options(options), Clock, Observer, rateLimiter);

    public AppleClientOptions Options(AppleClientOptions? options = null) => (options ?? new AppleClientOptions { RequestTimeout = Timeout.InfiniteTimeSpan }) with
    {
        BaseUrl = new Uri(ScriptedHandler.Base),
        TimeProvider = Time,
    };
}
