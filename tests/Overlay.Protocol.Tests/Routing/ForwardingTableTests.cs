using System.Net;
using Overlay.Protocol.Config;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Tests.Config;

namespace Overlay.Protocol.Tests.Routing;

public class ForwardingTableTests
{
    private static byte[] A(string ip) => IPAddress.Parse(ip).GetAddressBytes();
    private static Route R(string cidr, RouteTarget t) => new(IPNetwork.Parse(cidr), t);
    private static RouteTarget P(int i) => RouteTarget.ToPeer(i, (ushort)(i + 10));

    private static readonly ForwardingTable Table = new([
        R("0.0.0.0/0", P(0)),
        R("198.18.0.0/16", P(1)),
        R("198.18.4.0/24", P(2)),
        R("198.18.4.7/32", RouteTarget.Local),
        R("198.18.4.128/25", RouteTarget.Drop),
        R("fd00::/8", P(3)),
        R("fd00:1::/64", P(4)),
        R("fd00:1::1/128", RouteTarget.Local),
    ]);

    [Theory]
    [InlineData("8.8.8.8", "peer 10")]           // only /0 matches
    [InlineData("198.18.9.1", "peer 11")]        // /16
    [InlineData("198.18.4.1", "peer 12")]        // /24 beats /16
    [InlineData("198.18.4.7", "local")]          // /32 beats /24
    [InlineData("198.18.4.200", "drop")]         // /25 beats /24
    [InlineData("198.19.0.1", "peer 10")]
    [InlineData("fd00:2::1", "peer 13")]
    [InlineData("fd00:1::2", "peer 14")]
    [InlineData("fd00:1::1", "local")]
    [InlineData("2001:db8::1", "no route")]      // no IPv6 default
    public void Lookup_LongestPrefixWins(string dst, string expected) =>
        Assert.Equal(expected, Table.Lookup(A(dst)).ToString());

    [Fact]
    public void Lookup_WrongAddressLength_NoRoute()
    {
        Assert.Equal(RouteKind.NoRoute, Table.Lookup(new byte[5]).Kind);
        Assert.Equal(RouteKind.NoRoute, Table.Lookup([]).Kind);
    }

    [Fact]
    public void Lookup_EmptyTable_NoRoute() => Assert.Equal(RouteTarget.NoRoute, ForwardingTable.Empty.Lookup(A("198.18.0.1")));

    [Fact]
    public void Constructor_DuplicatePrefix_FirstWins()
    {
        var t = new ForwardingTable([R("198.18.0.0/24", RouteTarget.Local), R("198.18.0.0/24", P(1))]);
        Assert.Equal(RouteTarget.Local, t.Lookup(A("198.18.0.5")));
        Assert.Single(t.Routes);
    }

    [Fact]
    public void Lookup_TenThousandHostRoutes_AllCorrect()
    {
        var routes = new List<Route>();
        for (int i = 0; i < 10_000; i++)
            routes.Add(new Route(new IPNetwork(new IPAddress(new byte[] { 198, 18, (byte)(i >> 8), (byte)i }), 32), RouteTarget.ToPeer(i, (ushort)(i + 1))));
        for (int i = 0; i < 256; i++)
            routes.Add(new Route(new IPNetwork(new IPAddress(new byte[] { 198, 19, (byte)i, 0 }), 24), RouteTarget.ToPeer(20_000 + i, 1)));
        var t = new ForwardingTable(routes);
        Assert.Equal(10_256, t.Count);
        for (int i = 0; i < 10_000; i++)
            Assert.Equal(i, t.Lookup([198, 18, (byte)(i >> 8), (byte)i]).PeerIndex);
        Assert.Equal(20_007, t.Lookup([198, 19, 7, 99]).PeerIndex);
        Assert.Equal(RouteKind.NoRoute, t.Lookup([198, 18, 200, 1]).Kind);
    }

    [Fact]
    public void Lookup_ManyPrefixLengths_MatchesLinearScan()
    {
        var rng = new Random(1234);
        var routes = new List<Route>();
        for (int i = 0; i < 2000; i++)
        {
            var b = new byte[4]; rng.NextBytes(b); b[0] = 198; b[1] = (byte)(18 + (b[1] & 1));
            int len = rng.Next(8, 33);
            routes.Add(new Route(AddressText.ToNetwork(new IPAddress(b), len), RouteTarget.ToPeer(i, 1)));
        }
        var t = new ForwardingTable(routes);
        for (int k = 0; k < 5000; k++)
        {
            var d = new byte[4]; rng.NextBytes(d); d[0] = 198; d[1] = (byte)(18 + (d[1] & 1));
            var ip = new IPAddress(d);
            int best = -1, bestLen = -1;
            foreach (var r in t.Routes)
                if (r.Destination.Contains(ip) && r.Destination.PrefixLength > bestLen) { best = r.Target.PeerIndex; bestLen = r.Destination.PrefixLength; }
            var got = t.Lookup(d);
            Assert.Equal(best, got.Kind == RouteKind.NoRoute ? -1 : got.PeerIndex);
        }
    }

    [Fact]
    public void Lookup_SteadyState_AllocatesNothing()
    {
        var routes = new List<Route>();
        for (int i = 0; i < 10_000; i++)
            routes.Add(new Route(new IPNetwork(new IPAddress(new byte[] { 198, 18, (byte)(i >> 8), (byte)i }), 32), RouteTarget.ToPeer(i, 1)));
        routes.Add(R("fd00::/16", P(1)));
        var t = new ForwardingTable(routes);
        byte[] v4 = [198, 18, 3, 4];
        byte[] v6 = A("fd00::77");
        // Warm up through the same method that is measured (JIT tiering and loop OSR happen
        // there, once), then measure steady state.
        Lookups(t, v4, v6, 2_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int sum = Lookups(t, v4, v6, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);
    }

    private static int Lookups(ForwardingTable t, byte[] v4, byte[] v6, int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++) sum += t.Lookup(v4).PeerIndex + t.Lookup(v6).PeerIndex;
        return sum;
    }

    [Fact]
    public void FromConfig_Hub_PeersAllowedSrcAndLocalHostRoute()
    {
        var c = ConfigLoader.LoadJson(ConfigJson.Hub(), "hub.json").Config!;
        var t = ForwardingTable.FromConfig(c);
        Assert.Equal(["198.18.0.1/32 -> local", "198.18.0.2/32 -> peer 2", "198.18.0.3/32 -> peer 3", "198.18.1.0/24 -> peer 3"],
            t.Routes.Select(r => r.ToString()));
        Assert.Equal(RouteTarget.ToPeer(1, 3), t.Lookup(A("198.18.1.9")));
        Assert.Equal(RouteTarget.Local, t.Lookup(A("198.18.0.1")));
        Assert.Equal(RouteKind.NoRoute, t.Lookup(A("198.18.0.9")).Kind);
    }

    [Fact]
    public void FromConfig_Spoke_LocalHostRouteThenVirtualSubnetToHub()
    {
        var c = ConfigLoader.LoadJson(ConfigJson.Spoke(), "spoke.json").Config!;
        var t = ForwardingTable.FromConfig(c);
        Assert.Equal(["198.18.0.2/32 -> local", "198.18.0.0/24 -> peer 1"], t.Routes.Select(r => r.ToString()));
        Assert.Equal(RouteTarget.Local, t.Lookup(A("198.18.0.2")));
        Assert.Equal(RouteTarget.ToPeer(0, 1), t.Lookup(A("198.18.0.3")));
    }

    [Fact]
    public void FromConfig_SpokeWithRoutes_LocalRoutesWinTies()
    {
        var c = ConfigLoader.LoadJson(ConfigJson.Spoke(
            "\"local_routes\": [\"198.18.0.2/32\", \"198.19.5.0/24\"], \"remote_routes\": [\"198.19.5.0/24\", \"198.18.0.0/24\"],"), "s.json").Config!;
        var t = ForwardingTable.FromConfig(c);
        Assert.Equal(["198.18.0.2/32 -> local", "198.19.5.0/24 -> local", "198.18.0.0/24 -> peer 1"], t.Routes.Select(r => r.ToString()));
        Assert.Equal(RouteTarget.Local, t.Lookup(A("198.19.5.1")));
    }

    [Fact]
    public void FromConfig_Manual_Empty()
    {
        var c = ConfigLoader.LoadJson(ConfigJson.Hub().Replace("\"role\": \"hub\"", "\"role\": \"manual\""), "m.json").Config!;
        Assert.Equal(0, ForwardingTable.FromConfig(c).Count);
    }

    [Fact]
    public void Constructor_NoRouteTarget_Throws() =>
        Assert.Throws<ArgumentException>(() => new ForwardingTable([R("198.18.0.0/24", RouteTarget.NoRoute)]));
}
