namespace Overlay.Tests.Fakes;

/// <summary>A clock that moves only when told: timestamps in 100 ns ticks, wall time from a fixed start.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _ticks = TimeSpan.TicksPerHour;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => _ticks;
    public override DateTimeOffset GetUtcNow() => Start + TimeSpan.FromTicks(_ticks);
    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
