namespace VppPS.Engine.Tests.Apple;

internal sealed class FakeClock(DateTimeOffset now) : IClock
{
    public FakeClock() : this(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero)) { }

    public DateTimeOffset UtcNow { get; set; } = now;
}
