using Overlay.Os.Plan;

namespace Overlay.Os.Tests.Plan;

/// <summary>
/// The macOS executor on Linux: the exact ifconfig(8)/route(8)/sysctl(8) commands the daemon runs
/// for a given utun name, recorded instead of executed.
/// </summary>
public class MacOsPlanTests
{
    private static List<string> Record(Overlay.Protocol.Config.OverlayConfig config, string utun, RecordingPlanRunner? runner = null)
    {
        runner ??= new RecordingPlanRunner();
        PlanApplier.Apply(NetworkPlan.Build(config, new NetworkPlanOptions(PlanOs.MacOS, utun)), runner, _ => { }, _ => { });
        return runner.Commands;
    }

    [Fact]
    public void Apply_SpokeOnUtun7_RunsIfconfigAndRoute()
    {
        var config = PlanConfigs.Spoke();
        Assert.Equal(
        [
            "ifconfig utun7 inet 198.19.0.2 198.19.0.2 mtu 1420 up",
            "route -q -n add -inet -net 198.19.0.0/24 -interface utun7",
        ], Record(config, "utun7"));
    }

    [Fact]
    public void Apply_RestartOnNewUtun_TargetsTheNewName()
    {
        var config = PlanConfigs.Spoke();
        Assert.All(Record(config, "utun12"), c => Assert.Contains("utun12", c));
    }

    [Fact]
    public void Apply_LanBehindMacSpoke_EnablesBothForwardingSysctls()
    {
        var config = PlanConfigs.Spoke("\"local_routes\": [\"198.19.0.2/32\", \"198.18.64.0/24\", \"2001:2:0:40::/64\"], \"remote_routes\": [\"198.19.0.0/24\"],");
        List<string> commands = Record(config, "utun3");
        Assert.Equal(["sysctl -w net.inet.ip.forwarding=1", "sysctl -w net.inet6.ip6.forwarding=1"], commands[^2..]);
    }

    [Fact]
    public void Apply_RouteFails_DeletesAddress()
    {
        var config = PlanConfigs.Spoke("\"remote_routes\": [\"198.19.0.0/24\"],");
        var runner = new RecordingPlanRunner().FailOn("route -q -n add -inet -net 198.19.0.0/24 -interface utun7", 1, "route: writing to routing socket: File exists");
        Assert.Equal(
        [
            "ifconfig utun7 inet 198.19.0.2 198.19.0.2 mtu 1420 up",
            "route -q -n add -inet -net 198.19.0.0/24 -interface utun7",
            "ifconfig utun7 inet 198.19.0.2 -alias",
        ], Record(config, "utun7", runner));
    }

    [Fact]
    public void Apply_Ipv6Overlay_UsesInet6Forms()
    {
        var config = PlanConfigs.Spoke("\"remote_routes\": [\"2001:2:0:1::/64\"], \"local_tun_mtu\": 1420,", tunIp: "2001:2:0:1::2/64", virtualSubnet: "2001:2:0:1::/64");
        Assert.Equal(
        [
            "ifconfig utun5 inet6 2001:2:0:1::2 prefixlen 128 mtu 1420 up",
            "route -q -n add -inet6 -net 2001:2:0:1::/64 -interface utun5",
        ], Record(config, "utun5"));
    }
}
