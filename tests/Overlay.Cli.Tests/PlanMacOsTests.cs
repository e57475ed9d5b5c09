namespace Overlay.Cli.Tests;

/// <summary>
/// macOS plan forms beyond the example goldens: an IPv6 overlay (ifconfig inet6, route -inet6)
/// and the --tun substitution of the utun the kernel assigned. The commands follow ifconfig(8)
/// and route(8) on Darwin; addresses are from the IPv6 documentation prefix (RFC 3849).
/// </summary>
public sealed class PlanMacOsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("overlay-plan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(string localTunIp, string virtualSubnet, string remoteRoutes)
    {
        string path = Path.Combine(_dir, "spoke.json");
        File.WriteAllText(path, $$"""
            {
              "role": "spoke",
              "virtual_subnet": "{{virtualSubnet}}",
              "local_id": 3,
              "local_tun_ip": "{{localTunIp}}",
              "local_tun_mtu": 1380,
              "remote_routes": [{{remoteRoutes}}],
              "peers": [
                { "id": 1, "name": "hub", "endpoint": "198.19.0.1:51820",
                  "psk": "165464e36991fb66e254c25c2e3af2347bfe6c59db441f67c3775c2b9d052917" }
              ]
            }
            """);
        return path;
    }

    [Fact]
    public void PrintNetworkPlan_Ipv6Overlay_EmitsInet6Forms()
    {
        string config = WriteConfig("2001:db8:18::3/64", "2001:db8:18::/64", "\"2001:db8:18::/64\", \"2001:db8:19::/64\"");
        var r = Harness.Cli("", "--print-network-plan", "--config", config, "--os", "macos", "--tun", "utun4");
        Assert.True(r.Exit == 0, r.Err);
        string[] commands = Commands(r.Out);
        Assert.Equal(
        [
            "ifconfig utun4 inet6 2001:db8:18::3 prefixlen 128 mtu 1380 up",
            "route -q -n add -inet6 -net 2001:db8:18::/64 -interface utun4",
            "route -q -n add -inet6 -net 2001:db8:19::/64 -interface utun4",
        ], commands);
    }

    [Fact]
    public void PrintNetworkPlan_Ipv4RemoteRoutes_OneRouteEachOnTheUtun()
    {
        string config = WriteConfig("198.18.0.3/24", "198.18.0.0/24", "\"198.18.0.0/24\", \"198.18.2.0/24\"");
        var r = Harness.Cli("", "--print-network-plan", "--config", config, "--os", "macos", "--tun", "utun12");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(
        [
            "ifconfig utun12 inet 198.18.0.3 198.18.0.3 mtu 1380 up",
            "route -q -n add -inet -net 198.18.0.0/24 -interface utun12",
            "route -q -n add -inet -net 198.18.2.0/24 -interface utun12",
        ], Commands(r.Out));
    }

    [Fact]
    public void PrintNetworkPlan_MacOsWithoutTun_UsesPlaceholderAndExplainsIt()
    {
        string config = WriteConfig("198.18.0.3/24", "198.18.0.0/24", "\"198.18.0.0/24\"");
        var r = Harness.Cli("", "--print-network-plan", "--config", config, "--os", "macos");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("ifconfig utunN inet 198.18.0.3 198.18.0.3 mtu 1380 up\n", r.Out);
        Assert.Contains("# 'subnetra status' name it); a restart may get a new utunN, and the daemon applies the plan to it.\n", r.Out);
    }

    /// <summary>The lines a shell would run: everything that is not blank or a comment.</summary>
    private static string[] Commands(string plan) =>
        plan.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
}
