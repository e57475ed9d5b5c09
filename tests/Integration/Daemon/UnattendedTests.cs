using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// Issue 11: nodes that run unattended. Every config here has no manual address or route step: each daemon applies
/// its own network plan at start (apply_network_plan defaults to true). Covers the relay, a kill -9 restart, SIGTERM
/// cleanup and a LAN routed behind a spoke. Addresses: 198.18.0.0/15 only, inside this test's namespaces.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class UnattendedTests
{
    private const string Lan = "198.18.200.0/24";
    private const string LanGateway = "198.18.200.1";
    private const string LanHost = "198.18.200.2";

    private readonly ITestOutputHelper _output;

    public UnattendedTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task HubAndTwoSpokes_DaemonAppliesPlan_PingAcrossRelayAndStatusShowsApplied()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(2);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Node s1 = topology.Spoke(1), s2 = topology.Spoke(2);

        Assert.True(DaemonKit.WaitReachable(s1, s2.OverlayAddress).Ping.Received > 0, "s1 -> s2 never reachable\n" + star.Describe());
        Assert.True(s2.Ping(s1.OverlayAddress, count: 3, deadlineSec: 5).AllReceived, star.Describe());
        Assert.True(s1.Ping(topology.Hub.OverlayAddress, count: 3, deadlineSec: 5).AllReceived, star.Describe());

        foreach (OverlayDaemon d in star.All)
        {
            string address = d.Node.Exec("ip", "-o", "addr", "show", "dev", d.TunName).Stdout;
            Assert.Contains(d.Node.OverlayCidr, address);
            using JsonDocument status = JsonDocument.Parse(d.Status().Json);
            JsonElement plan = status.RootElement.GetProperty("network_plan");
            Assert.Equal("applied", plan.GetProperty("state").GetString());
            Assert.Contains($"ip addr add {d.Node.OverlayCidr} dev {d.TunName}", plan.GetProperty("steps").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(d.TunName, status.RootElement.GetProperty("tun").GetString());
        }

        ExecResult human = s1.RunCli("status");
        Assert.Contains($"network plan applied on {star.Spoke(1).TunName}", human.Stdout);
    }

    [SkippableFact]
    public async Task SpokeKilled_RestartedWithoutPersonInvolved_SpokeToSpokeRecoversWithin15Seconds()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(2);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Node s1 = topology.Spoke(1), s2 = topology.Spoke(2);
        Assert.True(DaemonKit.WaitReachable(s1, s2.OverlayAddress).Ping.Received > 0, "s1 -> s2 never reachable\n" + star.Describe());

        var sinceKill = Stopwatch.StartNew();
        await star.Spoke(1).StopAsync(NativeMethods.SIGKILL);
        Assert.Equal(0, s1.Ping(s2.OverlayAddress, count: 1, deadlineSec: 1).Received);
        var sinceStart = Stopwatch.StartNew();
        await star.Spoke(1).StartAsync();
        TimeSpan toReady = sinceStart.Elapsed;

        (PingResult back, _) = DaemonKit.WaitReachable(s1, s2.OverlayAddress, deadlineSec: 15);
        TimeSpan recovered = sinceStart.Elapsed;
        _output.WriteLine($"kill -9 + restart of spoke1: ready {toReady.TotalSeconds:0.0} s after start, s1 -> s2 back {recovered.TotalSeconds:0.0} s after start ({sinceKill.Elapsed.TotalSeconds:0.0} s after the kill)");
        Assert.True(back.Received > 0, $"s1 -> s2 not back within 15 s of the restart\n{back}\n{star.Describe()}");
        Assert.True(recovered < TimeSpan.FromSeconds(15), $"recovery took {recovered.TotalSeconds:0.0} s");
        Assert.True(s2.Ping(s1.OverlayAddress, count: 3, deadlineSec: 5).AllReceived, star.Describe());
    }

    [SkippableFact]
    public async Task Sigterm_DaemonStops_LeavesNoTunAndNoRoute()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(1);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Node s1 = topology.Spoke(1);
        Assert.True(DaemonKit.WaitReachable(s1, topology.Hub.OverlayAddress).Ping.Received > 0, star.Describe());

        foreach (OverlayDaemon d in star.All)
        {
            Assert.Contains(d.TunName, d.Node.ExecOrThrow("ip", "route", "show").Stdout);
            int exit = await d.StopAsync();
            Assert.True(exit == 0, $"{d} exit {exit} after SIGTERM\n{d.Describe()}");
            Assert.False(d.Node.Exec("ip", "link", "show", "dev", d.TunName).Succeeded, $"{d.TunName} still exists after SIGTERM");
            string routes = d.Node.ExecOrThrow("ip", "route", "show").Stdout + d.Node.ExecOrThrow("ip", "-6", "route", "show").Stdout;
            Assert.DoesNotContain(d.TunName, routes);
            Assert.DoesNotContain("198.19.0.", routes);
        }
    }

    [SkippableFact]
    public async Task LanBehindSpoke1_RoutedAndForwardedByThePlan_ReachableFromSpoke2()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(2);
        Node s1 = topology.Spoke(1), s2 = topology.Spoke(2);
        string lanNs = AddLanBehind(topology, s1);

        string[] psks = [OverlayConfigs.NewPsk(), OverlayConfigs.NewPsk()];
        JsonObject hubPeer1 = OverlayConfigs.HubPeer(s1, psks[0]);
        hubPeer1["allowed_src"] = new JsonArray(s1.OverlayAddress + "/32", Lan);
        OverlayDaemon hub = OverlayDaemon.Create(topology.Hub, OverlayConfigs.Hub(OverlayConfigs.NewTunName(), [hubPeer1, OverlayConfigs.HubPeer(s2, psks[1])]));
        JsonObject spoke1Config = OverlayConfigs.Spoke(s1, OverlayConfigs.NewTunName(), psks[0]);
        spoke1Config["local_routes"] = new JsonArray(s1.OverlayAddress + "/32", Lan);
        JsonObject spoke2Config = OverlayConfigs.Spoke(s2, OverlayConfigs.NewTunName(), psks[1]);
        spoke2Config["remote_routes"] = new JsonArray(OverlayConfigs.VirtualSubnet, Lan);
        OverlayDaemon spoke1 = OverlayDaemon.Create(s1, spoke1Config), spoke2 = OverlayDaemon.Create(s2, spoke2Config);

        // Forwarding off in spoke1's namespace before: the plan must turn it on.
        Netns.Sysctl(s1.Ns, "net.ipv4.ip_forward", "0");
        await hub.StartAsync();
        await Task.WhenAll(spoke1.StartAsync(), spoke2.StartAsync());
        Assert.Equal("1", Netns.ReadSysctl(s1.Ns, "net.ipv4.ip_forward").Trim());
        Assert.Contains($"{Lan} dev {spoke2.TunName}", s2.ExecOrThrow("ip", "route", "show").Stdout);

        (PingResult ping, TimeSpan took) = DaemonKit.WaitReachable(s2, LanHost, deadlineSec: 10);
        _output.WriteLine($"spoke2 -> LAN host {LanHost} behind spoke1: first reply after {took.TotalSeconds:0.0} s");
        Assert.True(ping.Received > 0, $"LAN host behind spoke1 not reachable from spoke2\n{ping}\n{DaemonKit.Describe(hub, spoke1, spoke2)}");
        Assert.True(Netns.Ping(lanNs, s2.OverlayAddress, count: 3, deadlineSec: 5).AllReceived, DaemonKit.Describe(hub, spoke1, spoke2));

        // SIGTERM takes the tun and its routes (the LAN route on spoke2) with it.
        Assert.Equal(0, await spoke2.StopAsync());
        Assert.DoesNotContain(Lan, s2.ExecOrThrow("ip", "route", "show").Stdout);
    }

    /// <summary>A namespace with one host (198.18.200.2) on a veth to <paramref name="spoke"/> (198.18.200.1), default route via the spoke.</summary>
    private static string AddLanBehind(Topology topology, Node spoke)
    {
        string ns = $"{HarnessRun.NamespacePrefix}{topology.Id}-lan";
        Netns.Create(ns);
        topology.Track(new NamespaceLease(ns));
        Cmd.Run("ip", "link", "add", "lan0", "netns", spoke.Ns, "type", "veth", "peer", "name", "eth0", "netns", ns).EnsureSuccess();
        Netns.AddAddress(spoke.Ns, "lan0", LanGateway + "/24");
        Netns.SetLinkUp(spoke.Ns, "lan0");
        Netns.AddAddress(ns, "eth0", LanHost + "/24");
        Netns.SetLinkUp(ns, "eth0");
        Netns.ReplaceRoute(ns, OverlayConfigs.VirtualSubnet, LanGateway);
        return ns;
    }

    private sealed class NamespaceLease(string ns) : IDisposable
    {
        public void Dispose() => Netns.Delete(ns);
    }
}
