using System.Net;
using Overlay.Protocol.Config;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Tests.Config;

namespace Overlay.Protocol.Tests.Routing;

public class AllowedSourcesTests
{
    private static byte[] A(string ip) => IPAddress.Parse(ip).GetAddressBytes();

    [Theory]
    [InlineData("198.18.0.2", true)]
    [InlineData("198.18.0.3", false)]
    [InlineData("198.18.1.77", true)]
    [InlineData("fd00:9::1", true)]
    [InlineData("fd01::1", false)]
    public void Contains_MatchesAnyPrefix(string src, bool expected)
    {
        var a = new AllowedSources([IPNetwork.Parse("198.18.0.2/32"), IPNetwork.Parse("198.18.1.0/24"), IPNetwork.Parse("fd00::/16")]);
        Assert.Equal(expected, a.Contains(A(src)));
    }

    /// <summary>netns.sh's crypto-RP filter: peer 0 allows the /24, peer 1 the more specific /32 inside it.</summary>
    [Theory]
    [InlineData("198.19.241.2", false, true)]
    [InlineData("198.19.241.3", true, false)]
    [InlineData("2001:2:0:241::2", false, true)]
    [InlineData("2001:2:0:241::3", true, false)]
    [InlineData("198.18.0.1", false, false)]
    public void ByLongestMatch_MoreSpecificPrefixOnAnotherPeer_SourceBelongsToThatPeerOnly(string src, bool first, bool second)
    {
        AllowedSources[] s = AllowedSources.ByLongestMatch([
            [IPNetwork.Parse("198.19.241.0/24"), IPNetwork.Parse("2001:2:0:241::/112")],
            [IPNetwork.Parse("198.19.241.2/32"), IPNetwork.Parse("2001:2:0:241::2/128")],
        ]);
        Assert.Equal(first, s[0].Contains(A(src)));
        Assert.Equal(second, s[1].Contains(A(src)));
        Assert.Equal(2, s[1].Prefixes.Count);
    }

    [Fact]
    public void Contains_BadLength_False() => Assert.False(new AllowedSources([IPNetwork.Parse("0.0.0.0/0")]).Contains(new byte[3]));

    [Fact]
    public void ForPeer_SpokeHubWithoutAllowedSrc_VirtualSubnetAndRemoteRoutes()
    {
        var c = ConfigLoader.LoadJson(ConfigJson.Spoke("\"remote_routes\": [\"198.19.8.0/24\"],"), "s.json").Config!;
        var a = AllowedSources.ForPeer(c.Peers[0]);
        Assert.True(a.Contains(A("198.18.0.77")));
        Assert.True(a.Contains(A("198.19.8.1")));
        Assert.False(a.Contains(A("198.19.9.1")));
    }

    [Fact]
    public void ForPeer_HubPeer_ExactlyAllowedSrc()
    {
        var c = ConfigLoader.LoadJson(ConfigJson.Hub(), "h.json").Config!;
        var a = AllowedSources.ForPeer(c.Peers[0]);
        Assert.True(a.Contains(A("198.18.0.2")));
        Assert.False(a.Contains(A("198.18.0.3")));
    }

    /// <summary>
    /// Both address families are warmed up through the same method that is then measured: a
    /// cold path (first IPv6 lookup, on-stack replacement of the loop) may allocate once, which
    /// is start-up cost, not steady state. (A clean-clone CI run caught the v4-only warm-up.)
    /// </summary>
    [Fact]
    public void Contains_SteadyState_AllocatesNothing()
    {
        var a = new AllowedSources([IPNetwork.Parse("198.18.0.0/24"), IPNetwork.Parse("fd00::/16")]);
        byte[] v4 = A("198.18.0.9"), v6 = A("fd00::1");
        Assert.Equal(2 * 2_000, Lookups(a, v4, v6, 2_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        int hits = Lookups(a, v4, v6, 10_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(20_000, hits);
    }

    private static int Lookups(AllowedSources a, byte[] v4, byte[] v6, int n)
    {
        int hits = 0;
        for (int i = 0; i < n; i++) hits += (a.Contains(v4) ? 1 : 0) + (a.Contains(v6) ? 1 : 0);
        return hits;
    }
}
