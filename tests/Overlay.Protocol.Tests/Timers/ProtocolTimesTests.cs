using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Tests.Timers;

/// <summary>Constants against wireguard-go device/constants.go and the kernel's messages.h (reference/wireguard.md §2.1).</summary>
public class ProtocolTimesTests
{
    [Fact]
    public void MessageLimits_Values_MatchSpec()
    {
        Assert.Equal(1UL << 60, ProtocolTimes.RekeyAfterMessages);
        Assert.Equal(18446744073709543423UL, ProtocolTimes.RejectAfterMessages); // 2^64 - 2^13 - 1
    }

    [Fact]
    public void Durations_Values_MatchSpec()
    {
        Assert.Equal(120, ProtocolTimes.RekeyAfterTime.TotalSeconds);
        Assert.Equal(180, ProtocolTimes.RejectAfterTime.TotalSeconds);
        Assert.Equal(90, ProtocolTimes.RekeyAttemptTime.TotalSeconds);
        Assert.Equal(5, ProtocolTimes.RekeyTimeout.TotalSeconds);
        Assert.Equal(10, ProtocolTimes.KeepaliveTimeout.TotalSeconds);
        Assert.Equal(540, ProtocolTimes.ZeroKeyMaterialAfter.TotalSeconds);
        Assert.Equal(120, ProtocolTimes.CookieRefreshTime.TotalSeconds);
        Assert.Equal(20, ProtocolTimes.HandshakeInitiationRate.TotalMilliseconds);
        Assert.Equal(165, ProtocolTimes.RekeyOnReceiveAfter.TotalSeconds);
        Assert.Equal(18, ProtocolTimes.MaxTimerHandshakes);
        Assert.Equal(ProtocolTimes.MaxTimerHandshakes, ProtocolTimes.RekeyAttemptTime / ProtocolTimes.RekeyTimeout);
        Assert.Equal(334, ProtocolTimes.RekeyTimeoutJitterMaxMs);
        Assert.Equal(128, ProtocolTimes.MaxStagedPackets);
    }
}
