using Overlay.Os.Plan;

namespace Overlay.Os.Tests.Plan;

public class PlanApplierTests
{
    private readonly List<string> _info = [];
    private readonly List<string> _warn = [];

    private PlanApplyResult Apply(PlanDocument plan, IPlanRunner runner) => PlanApplier.Apply(plan, runner, _info.Add, _warn.Add);

    [Fact]
    public void Apply_LinuxSpoke_RunsExactlyThePrintedCommands()
    {
        var config = PlanConfigs.Spoke("\"remote_routes\": [\"198.19.0.0/24\", \"198.18.64.0/24\"],");
        PlanDocument plan = NetworkPlan.Build(config, new NetworkPlanOptions(PlanOs.Linux, "ovl9"));
        var runner = new RecordingPlanRunner();

        PlanApplyResult r = Apply(plan, runner);

        Assert.Equal(PlanState.Applied, r.State);
        Assert.Equal(
            ["ip link set dev ovl9 mtu 1420 up", "ip addr add 198.19.0.2/24 dev ovl9", "ip route add 198.18.64.0/24 dev ovl9"],
            runner.Commands);
        string printed = NetworkPlan.Generate(config, new NetworkPlanOptions(PlanOs.Linux, "ovl9"));
        string[] printedCommands = printed.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        Assert.Equal(printedCommands, runner.Commands);
        Assert.Equal(3, _info.Count);
        Assert.Contains("network plan: address 198.19.0.2/24 on ovl9: ip addr add 198.19.0.2/24 dev ovl9", _info);
    }

    [Fact]
    public void Apply_StepFails_StopsNamesStepAndUndoesEarlierSteps()
    {
        var config = PlanConfigs.Spoke("\"remote_routes\": [\"198.18.64.0/24\", \"198.18.65.0/24\"],");
        PlanDocument plan = NetworkPlan.Build(config, new NetworkPlanOptions(PlanOs.Linux, "ovl9"));
        var runner = new RecordingPlanRunner().FailOn("ip route add 198.18.65.0/24 dev ovl9");

        PlanApplyResult r = Apply(plan, runner);

        Assert.Equal(PlanState.Failed, r.State);
        Assert.Empty(r.Applied);
        Assert.Equal(
        [
            "ip link set dev ovl9 mtu 1420 up",
            "ip addr add 198.19.0.2/24 dev ovl9",
            "ip route add 198.18.64.0/24 dev ovl9",
            "ip route add 198.18.65.0/24 dev ovl9",
            "ip route del 198.18.64.0/24 dev ovl9",
            "ip addr del 198.19.0.2/24 dev ovl9",
        ], runner.Commands);
        Assert.StartsWith("network plan step 'route 198.18.65.0/24 via ovl9' failed: ip route add 198.18.65.0/24 dev ovl9: exit 2: RTNETLINK answers: File exists; ", r.Error);
        Assert.Contains("apply_network_plan", r.Error);
    }

    [Fact]
    public void Apply_ToolMissing_ErrorNamesPackage()
    {
        var config = PlanConfigs.Spoke();
        PlanDocument plan = NetworkPlan.Build(config, new NetworkPlanOptions(PlanOs.Linux, "ovl9"));
        PlanTools.Resolve("ip", out string? missing, _ => false);
        var runner = new RecordingPlanRunner().FailOn("ip link set dev ovl9 mtu 1420 up", -1, missing!);

        PlanApplyResult r = Apply(plan, runner);

        Assert.Equal(PlanState.Failed, r.State);
        Assert.Contains("install iproute2", r.Error);
        Assert.Single(runner.Commands);
    }

    [Fact]
    public void Apply_LanBehindSpoke_EnablesForwardingLast()
    {
        var config = PlanConfigs.Spoke("\"local_routes\": [\"198.19.0.2/32\", \"198.18.70.0/24\"],");
        var runner = new RecordingPlanRunner();

        Apply(NetworkPlan.Build(config, new NetworkPlanOptions(PlanOs.Linux, "ovl9")), runner);

        Assert.Equal("sysctl -w net.ipv4.ip_forward=1", runner.Commands[^1]);
        Assert.DoesNotContain(runner.Commands, c => c.Contains("ipv6"));
    }

    [Fact]
    public void Build_OnlyOwnAddressInLocalRoutes_NoForwarding()
    {
        var config = PlanConfigs.Spoke("\"local_routes\": [\"198.19.0.2/32\"],");
        Assert.Equal((false, false), NetworkPlan.ForwardingFamilies(config));
        Assert.DoesNotContain(NetworkPlan.Build(config, new NetworkPlanOptions(PlanOs.Linux)).Steps, s => s.Kind == PlanStepKind.Forwarding);
    }

    [Fact]
    public void Build_Hub_NoForwarding()
    {
        Assert.Equal((false, false), NetworkPlan.ForwardingFamilies(PlanConfigs.Hub()));
    }

    [Fact]
    public void PlanTools_Resolve_UsesOnlyFixedAbsolutePaths()
    {
        Assert.Equal("/sbin/ip", PlanTools.Resolve("ip", out _, p => p == "/sbin/ip"));
        Assert.Null(PlanTools.Resolve("sh", out string? why, _ => true));
        Assert.Contains("not a network plan tool", why);
    }
}

public class DualStackPlanTests
{
    private static List<string> Record(PlanOs os, string tun)
    {
        var config = PlanConfigs.Spoke("\"remote_routes\": [\"198.19.0.0/24\", \"2001:2:0:ff::/64\"],", tunIp: "[\"198.19.0.2/24\", \"2001:2:0:ff::2/64\"]");
        var runner = new RecordingPlanRunner();
        PlanApplier.Apply(NetworkPlan.Build(config, new NetworkPlanOptions(os, tun)), runner, _ => { }, _ => { });
        return runner.Commands;
    }

    [Fact]
    public void Apply_LinuxDualStack_BothAddressesNoRouteForOnLinkPrefixes()
    {
        Assert.Equal(
        [
            "ip link set dev ovl9 mtu 1420 up",
            "ip addr add 198.19.0.2/24 dev ovl9",
            "ip -6 addr add 2001:2:0:ff::2/64 dev ovl9 nodad",
        ], Record(PlanOs.Linux, "ovl9"));
    }

    [Fact]
    public void Apply_MacOsDualStack_SecondAddressIsAnAliasAndEveryPrefixRouted()
    {
        Assert.Equal(
        [
            "ifconfig utun6 inet 198.19.0.2 198.19.0.2 mtu 1420 up",
            "ifconfig utun6 inet6 2001:2:0:ff::2 prefixlen 128 alias",
            "route -q -n add -inet -net 198.19.0.0/24 -interface utun6",
            "route -q -n add -inet6 -net 2001:2:0:ff::/64 -interface utun6",
        ], Record(PlanOs.MacOS, "utun6"));
    }
}
