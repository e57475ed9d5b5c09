using Overlay.Protocol.Config;
using Overlay.Protocol.Routing;

namespace Overlay.Protocol.Tests.Config;

/// <summary>local_tun_ip as a list: one IPv4 and one IPv6 address (issue 11 item 6), addresses from 198.18.0.0/15 and 2001:2::/48.</summary>
public class DualStackConfigTests
{
    private static ConfigLoadResult Load(string localTunIp, string extra = "") => ConfigLoader.LoadJson($$"""
        {
          "role": "spoke", "virtual_subnet": "198.18.0.0/24", "local_id": 2, "local_tun_ip": {{localTunIp}},
          {{extra}}
          "peers": [ { "id": 1, "endpoint": "198.19.0.1:51820", "psk": "{{ConfigJson.Psk1}}" } ]
        }
        """, "dual.json", Path.GetTempPath());

    [Fact]
    public void Load_OneOfEachFamily_BothAddressesKept()
    {
        var r = Load("""["198.18.0.2/24", "2001:2:0:ff::2/64"]""", "\"remote_routes\": [\"198.18.0.0/24\", \"2001:2:0:ff::/64\"],");
        Assert.True(r.Success, string.Join("\n", r.Errors));
        Assert.Equal(["198.18.0.2/24", "2001:2:0:ff::2/64"], r.Config!.LocalTunIps.Select(a => a.ToString()));
        Assert.Equal("198.18.0.2/24", r.Config.LocalTunIp.ToString());
        ForwardingTable table = ForwardingTable.FromConfig(r.Config);
        Assert.Equal(RouteKind.Local, table.Lookup(System.Net.IPAddress.Parse("2001:2:0:ff::2").GetAddressBytes()).Kind);
        Assert.Equal(RouteKind.Local, table.Lookup(System.Net.IPAddress.Parse("198.18.0.2").GetAddressBytes()).Kind);
        Assert.Equal(RouteKind.Peer, table.Lookup(System.Net.IPAddress.Parse("2001:2:0:ff::3").GetAddressBytes()).Kind);
    }

    [Fact]
    public void Load_StringForm_StillOneAddress()
    {
        var r = Load("\"198.18.0.2/24\"");
        Assert.True(r.Success, string.Join("\n", r.Errors));
        Assert.Single(r.Config!.LocalTunIps);
    }

    [Theory]
    [InlineData("""["198.18.0.2/24", "198.18.0.3/24"]""", "local_tun_ip[1]", "a second IPv4 address")]
    [InlineData("""[]""", "local_tun_ip", "one or two addresses")]
    [InlineData("""["198.18.0.2/24", "2001:2::2/64", "2001:2::3/64"]""", "local_tun_ip", "one or two addresses")]
    [InlineData("""["nonsense"]""", "local_tun_ip[0]", "")]
    public void Load_BadList_ErrorNamesPath(string value, string path, string message)
    {
        var r = Load(value);
        Assert.False(r.Success);
        Assert.Contains(r.Errors, e => e.ToString().Contains(path + ":", StringComparison.Ordinal) && e.ToString().Contains(message, StringComparison.Ordinal));
    }
}
