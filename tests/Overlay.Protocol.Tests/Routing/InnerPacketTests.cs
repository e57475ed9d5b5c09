using Overlay.Protocol.Routing;

namespace Overlay.Protocol.Tests.Routing;

public class InnerPacketTests
{
    // RFC 791 header: version/IHL 0x45, total length 28, src 198.18.0.2, dst 198.18.0.3.
    private static readonly byte[] V4 =
    [
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0,
        198, 18, 0, 2,
        198, 18, 0, 3,
        0, 0, 0, 0, 0, 0, 0, 0,
    ];

    private static byte[] V6()
    {
        var p = new byte[48];
        p[0] = 0x60; p[5] = 8; p[6] = 17; p[7] = 64;
        p[8] = 0xfd; p[23] = 2;    // src fd00::2
        p[24] = 0xfd; p[39] = 3;   // dst fd00::3
        return p;
    }

    [Fact]
    public void TryGetAddresses_IPv4_ReadsHeaderFields()
    {
        Assert.True(InnerPacket.TryGetSource(V4, out var s));
        Assert.True(InnerPacket.TryGetDestination(V4, out var d));
        Assert.Equal(new byte[] { 198, 18, 0, 2 }, s.ToArray());
        Assert.Equal(new byte[] { 198, 18, 0, 3 }, d.ToArray());
        Assert.Equal(28, InnerPacket.DeclaredLength(V4));
    }

    [Fact]
    public void TryGetAddresses_IPv6_ReadsHeaderFields()
    {
        var p = V6();
        Assert.True(InnerPacket.TryGetSource(p, out var s));
        Assert.True(InnerPacket.TryGetDestination(p, out var d));
        Assert.Equal(16, s.Length);
        Assert.Equal(0xfd, s[0]); Assert.Equal(2, s[15]);
        Assert.Equal(0xfd, d[0]); Assert.Equal(3, d[15]);
        Assert.Equal(48, InnerPacket.DeclaredLength(p));
    }

    [Fact]
    public void TryGetDestination_Truncated_False()
    {
        Assert.False(InnerPacket.TryGetDestination(V4.AsSpan(0, 19), out _));
        Assert.False(InnerPacket.TryGetDestination(V6().AsSpan(0, 39), out _));
        Assert.False(InnerPacket.TryGetSource([], out _));
    }

    [Fact]
    public void Version_NotIp_Zero()
    {
        var p = (byte[])V4.Clone();
        p[0] = 0x55;
        Assert.Equal(0, InnerPacket.Version(p));
        Assert.Equal(0, InnerPacket.DeclaredLength(p));
    }
}
