using Overlay.Protocol.Noise;

namespace Overlay.Protocol.Tests.Noise;

public class Tai64NTests
{
    /// <summary>Base 0x400000000000000a + unix seconds (wireguard-go tai64n.go); nanoseconds whitened to 2^24 ns.</summary>
    [Theory]
    [InlineData(1735689600L, 0, "400000006774858a00000000")]           // reference/wireguard.md §3.3
    [InlineData(0L, 0, "400000000000000a00000000")]
    [InlineData(1735689600L, 123456700, "400000006774858a07000000")]    // 0x075bcd15 & ~0xffffff
    [InlineData(1735689600L, 16777215, "400000006774858a00000000")]     // just under one granule
    [InlineData(1735689600L, 16777300, "400000006774858a01000000")]     // first value of the next granule (100 ns clock)
    public void Write_UnixTime_ExpectedBytes(long unixSeconds, int nanos, string expected)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(unixSeconds).AddTicks(nanos / 100);
        var b = new byte[12];
        Tai64N.Write(t, b);
        Assert.Equal(expected, Convert.ToHexStringLower(b));
    }

    [Fact]
    public void After_LaterAndEqualAndEarlier_ComparesBytewise()
    {
        var a = new byte[12];
        var b = new byte[12];
        var t = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        Tai64N.Write(t, a);
        Tai64N.Write(t.AddMilliseconds(20), b);
        Assert.True(Tai64N.After(b, a));
        Assert.False(Tai64N.After(a, b));
        Assert.False(Tai64N.After(a, a));
        // Within one whitening granule (~16.8 ms) two stamps are equal, so the second is not "after".
        Tai64N.Write(t.AddMilliseconds(5), b);
        Assert.False(Tai64N.After(b, a));
        Assert.True(Tai64N.After(a, new byte[12]));
    }
}
