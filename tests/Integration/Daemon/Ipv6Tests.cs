using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// IPv6 end to end (issue 11 item 6): an IPv6 underlay (spoke 1 dials <c>[2001:2::1]:51820</c>, spoke 2 its own
/// link's hub address) and a dual-stack overlay (198.19.0.0/24 beside 2001:2:0:ff::/64), every address applied by
/// the daemons' own plans. Addresses only from 198.18.0.0/15 and 2001:2::/48, inside this test's namespaces.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class Ipv6Tests
{
    private const string Overlay6 = "2001:2:0:ff::/64";
    private readonly ITestOutputHelper _output;

    public Ipv6Tests(ITestOutputHelper output)
    {
        _output = output;
    }

    private static string Underlay6(int link, int host) =>
        (link == 1 ? "2001:2::" : $"2001:2:0:{link.ToString(CultureInfo.InvariantCulture)}::") + host.ToString(CultureInfo.InvariantCulture);

    private static string Overlay6Of(Node n) => $"2001:2:0:ff::{(n.Index + 1).ToString(CultureInfo.InvariantCulture)}";

    [SkippableFact]
    public async Task Ipv6UnderlayDualStackOverlay_Ping6SpokeToSpokeAcrossRelay_StatusShowsBracketedEndpoints()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(2);
        Node hubNode = topology.Hub;
        foreach (Node s in topology.Spokes)
        {
            string hubIf = hubNode.Links[s.Index - 1].Interface;
            hubNode.ExecOrThrow("ip", "-6", "addr", "add", Underlay6(s.Index, 1) + "/64", "dev", hubIf, "nodad");
            s.ExecOrThrow("ip", "-6", "addr", "add", Underlay6(s.Index, 2) + "/64", "dev", s.UnderlayInterface, "nodad");
        }

        string[] psks = [OverlayConfigs.NewPsk(), OverlayConfigs.NewPsk()];
        JsonObject hubConfig = OverlayConfigs.Hub(OverlayConfigs.NewTunName(), topology.Spokes.Select((s, i) =>
        {
            JsonObject peer = OverlayConfigs.HubPeer(s, psks[i]);
            peer["allowed_src"] = new JsonArray(s.OverlayAddress + "/32", Overlay6Of(s) + "/128");
            return peer;
        }));
        hubConfig["local_tun_ip"] = new JsonArray(hubNode.OverlayCidr, Overlay6Of(hubNode) + "/64");
        OverlayDaemon hub = OverlayDaemon.Create(hubNode, hubConfig);
        OverlayDaemon[] spokes = topology.Spokes.Select((s, i) =>
        {
            JsonObject c = OverlayConfigs.Spoke(s, OverlayConfigs.NewTunName(), psks[i]);
            c["local_tun_ip"] = new JsonArray(s.OverlayCidr, Overlay6Of(s) + "/64");
            c["remote_routes"] = new JsonArray(OverlayConfigs.VirtualSubnet, Overlay6);
            c["peers"]![0]!["endpoint"] = $"[{Underlay6(s.Index, 1)}]:{OverlayConfigs.HubPort}";
            return OverlayDaemon.Create(s, c);
        }).ToArray();

        await hub.StartAsync();
        await Task.WhenAll(spokes.Select(s => s.StartAsync()));
        Node s1 = topology.Spoke(1), s2 = topology.Spoke(2);
        Assert.Contains(Overlay6Of(s1) + "/64", s1.ExecOrThrow("ip", "-6", "addr", "show", "dev", spokes[0].TunName).Stdout);

        (PingResult ping6, TimeSpan took) = DaemonKit.WaitReachable(s1, Overlay6Of(s2), deadlineSec: 10);
        _output.WriteLine($"ping -6 spoke1 -> spoke2 across the relay: first reply after {took.TotalSeconds:0.0} s");
        Assert.True(ping6.Received > 0, $"ping -6 {Overlay6Of(s2)} failed\n{ping6}\n{DaemonKit.Describe(hub, spokes[0], spokes[1])}");
        Assert.True(s2.Ping(Overlay6Of(s1), count: 3, deadlineSec: 5).AllReceived, DaemonKit.Describe(hub, spokes[0], spokes[1]));
        Assert.True(s1.Ping(s2.OverlayAddress, count: 3, deadlineSec: 5).AllReceived, "IPv4 overlay beside IPv6\n" + DaemonKit.Describe(hub, spokes[0], spokes[1]));
        Assert.True(s1.Ping(Overlay6Of(hubNode), count: 3, deadlineSec: 5).AllReceived, DaemonKit.Describe(hub, spokes[0], spokes[1]));

        Assert.Equal("[2001:2::1]:51820", spokes[0].Status().Peer(OverlayConfigs.HubId).Endpoint);
        string? seenByHub = hub.Status().Peer(OverlayConfigs.IdOf(s1)).Endpoint;
        Assert.StartsWith("[2001:2::2]:", seenByHub);
        Assert.Contains("[2001:2::1]:51820", s1.RunCli("status").Stdout);
    }
}
