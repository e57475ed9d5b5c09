using System.Net;
using Overlay.Protocol;
using Overlay.Os.Interop;

namespace Overlay.Os.Tests.Interop;

public sealed unsafe class SockAddrTests
{
    [Theory]
    [InlineData("198.18.0.1", 51820)]
    [InlineData("2001:db8::7", 443)]
    public void Write_ThenTryRead_OnDualStackSocket_RoundTrips(string address, int port)
    {
        var endpoint = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse(address), port));
        byte* buffer = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.Write(buffer, endpoint, Libc.AF_INET6);
        Assert.Equal(28, length);
        Assert.Equal(Libc.AF_INET6, Libc.SockAddrFamily(buffer));
        Assert.True(SockAddr.TryRead(buffer, length, out UdpEndpoint back));
        Assert.Equal(endpoint, back);
    }

    [Fact]
    public void Write_Ipv4OnDualStackSocket_IsV4Mapped()
    {
        var endpoint = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse("198.18.0.9"), 0x1234));
        Libc.SockAddrIn6 sa;
        Assert.Equal(28, SockAddr.Write((byte*)&sa, endpoint, Libc.AF_INET6));
        byte* a = (byte*)&sa.Address;
        byte[] expected = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 9];
        Assert.Equal(expected, new ReadOnlySpan<byte>(a, 16).ToArray());
        Assert.Equal(new byte[] { 0x12, 0x34 }, new ReadOnlySpan<byte>(&sa.PortBigEndian, 2).ToArray());
    }

    [Fact]
    public void TryRead_V4MappedAddress_GivesIpv4Endpoint()
    {
        var mapped = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse("::ffff:198.18.0.2"), 7));
        byte* buffer = stackalloc byte[SockAddr.MaxSize];
        SockAddr.Write(buffer, mapped, Libc.AF_INET6);
        Assert.True(SockAddr.TryRead(buffer, 28, out UdpEndpoint back));
        Assert.True(back.IsV4);
        Assert.Equal("198.18.0.2:7", back.ToString());
    }

    [Fact]
    public void Write_Ipv4OnIpv4Socket_IsSockAddrIn()
    {
        var endpoint = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse("198.18.0.3"), 9));
        byte* buffer = stackalloc byte[SockAddr.MaxSize];
        Assert.Equal(16, SockAddr.Write(buffer, endpoint, Libc.AF_INET));
        Assert.Equal(Libc.AF_INET, Libc.SockAddrFamily(buffer));
        Assert.True(SockAddr.TryRead(buffer, 16, out UdpEndpoint back));
        Assert.Equal(endpoint, back);
    }

    [Fact]
    public void Write_Ipv6OnIpv4Socket_ReturnsZero()
    {
        var endpoint = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 9));
        byte* buffer = stackalloc byte[SockAddr.MaxSize];
        Assert.Equal(0, SockAddr.Write(buffer, endpoint, Libc.AF_INET));
    }

    [Fact]
    public void Write_NoEndpoint_ReturnsZero()
    {
        byte* buffer = stackalloc byte[SockAddr.MaxSize];
        Assert.Equal(0, SockAddr.Write(buffer, default, Libc.AF_INET6));
    }

    [Fact]
    public void TryRead_UnknownFamily_ReturnsFalse()
    {
        byte* buffer = stackalloc byte[SockAddr.MaxSize];
        new Span<byte>(buffer, SockAddr.MaxSize).Clear();
        Assert.False(SockAddr.TryRead(buffer, SockAddr.MaxSize, out _));
    }
}
