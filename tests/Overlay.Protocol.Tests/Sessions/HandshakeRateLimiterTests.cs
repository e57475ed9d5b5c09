using System.Net;
using Overlay.Protocol;
using Overlay.Protocol.Sessions;

namespace Overlay.Protocol.Tests.Sessions;

public class HandshakeRateLimiterTests
{
    private const long Second = 1_000_000;

    private static UdpEndpoint Ep(string address, int port = 51820) => UdpEndpoint.From(new IPEndPoint(IPAddress.Parse(address), port));

    private static HandshakeRateLimiter Limiter(int maxEntries = HandshakeRateLimiter.KernelMaxEntries) => new(Second, 20, 5, maxEntries);

    private static int Burst(HandshakeRateLimiter limiter, UdpEndpoint source, long now, int tries)
    {
        int allowed = 0;
        for (int i = 0; i < tries; i++)
            if (limiter.Allow(source, now)) allowed++;
        return allowed;
    }

    [Fact]
    public void Allow_OneSource_AllowsBurstOfFiveThenRefuses()
    {
        var limiter = Limiter();
        Assert.Equal(5, Burst(limiter, Ep("198.18.0.1"), 0, 20));
    }

    [Fact]
    public void Allow_AfterOneTwentiethSecond_RefillsOneToken()
    {
        var limiter = Limiter();
        var source = Ep("198.18.0.1");
        Burst(limiter, source, 0, 10);
        Assert.Equal(1, Burst(limiter, source, Second / 20, 10));
    }

    [Fact]
    public void Allow_IPv6SameSlash64_SharesOneBucket()
    {
        var limiter = Limiter();
        int allowed = 0;
        for (int i = 1; i <= 20; i++)
            if (limiter.Allow(Ep($"2001:2:0:1::{i:x}", 1000 + i), 0)) allowed++;
        Assert.Equal(5, allowed);
        Assert.Equal(1, limiter.Count);
    }

    [Fact]
    public void Allow_IPv6OtherSlash64_HasItsOwnBucket()
    {
        var limiter = Limiter();
        Burst(limiter, Ep("2001:2:0:1::1"), 0, 10);
        Assert.True(limiter.Allow(Ep("2001:2:0:2::1"), 0));
        Assert.Equal(2, limiter.Count);
    }

    [Fact]
    public void Allow_IPv4PortsOfOneAddress_ShareOneBucket()
    {
        var limiter = Limiter();
        int allowed = 0;
        for (int port = 1; port <= 20; port++)
            if (limiter.Allow(Ep("198.18.0.1", port), 0)) allowed++;
        Assert.Equal(5, allowed);
    }

    [Fact]
    public void Allow_IPv4AndIPv6WithSameBits_AreDistinct()
    {
        // ::ffff:198.18.0.1 as an IPv6 source keys by its /64 (::/64), not as the IPv4 address.
        Assert.NotEqual(SourceKey.Of(Ep("198.18.0.1")), SourceKey.Of(Ep("::ffff:198.18.0.1")));
        Assert.NotEqual(SourceKey.Of(Ep("198.18.0.1")), SourceKey.Of(Ep("198.18.0.2")));
        Assert.Equal(SourceKey.Of(Ep("2001:2::1")), SourceKey.Of(Ep("2001:2::ffff:1:2:3")));
    }

    [Fact]
    public void Allow_TableFull_RefusesNewSourcesButServesKnownOnes()
    {
        var limiter = Limiter(maxEntries: 4);
        for (int i = 1; i <= 4; i++) Assert.True(limiter.Allow(Ep($"198.18.0.{i}"), 0));
        Assert.False(limiter.Allow(Ep("198.18.0.5"), 0));
        Assert.False(limiter.Allow(Ep("2001:2::5"), 0));
        Assert.Equal(4, limiter.Count);
        Assert.True(limiter.Allow(Ep("198.18.0.1"), 0));
    }

    [Fact]
    public void Sweep_IdleEntries_FreeRoomForNewSources()
    {
        var limiter = Limiter(maxEntries: 2);
        limiter.Allow(Ep("198.18.0.1"), 0);
        limiter.Allow(Ep("198.18.0.2"), 0);
        Assert.False(limiter.Allow(Ep("198.18.0.3"), Second / 2));
        limiter.Sweep(2 * Second + 1);
        Assert.Equal(0, limiter.Count);
        Assert.True(limiter.Allow(Ep("198.18.0.3"), 2 * Second + 1));
    }

    [Fact]
    public void Allow_ManySpoofedIPv6Sources_StayWithinCap()
    {
        var limiter = Limiter(maxEntries: 1000);
        var rng = new Random(12);
        var addr = new byte[16];
        for (int i = 0; i < 100_000; i++)
        {
            rng.NextBytes(addr);
            addr[0] = 0x20; addr[1] = 0x01;
            limiter.Allow(new UdpEndpoint(addr, 1), 0);
        }

        Assert.Equal(1000, limiter.Count);
    }

    [Fact]
    public void Allow_KnownSource_DoesNotAllocate()
    {
        var limiter = Limiter();
        var source = Ep("2001:2::7");
        limiter.Allow(source, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) limiter.Allow(source, i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
