using System.Text;
using Overlay.Integration.Tests.Daemon.Kit;
using Overlay.Integration.Tests.Harness;
using Xunit.Abstractions;

namespace Overlay.Integration.Tests.Daemon;

/// <summary>
/// subnetrad as hub and as spokes on real tun devices (issue item 4): pings to the hub and between spokes through
/// the in-daemon relay, an iperf3 stream across the relay, and an underlay capture proving nothing travels in clear.
/// The hub namespace has ip_forward=0, so spoke-to-spoke traffic can only arrive by the daemon's own relay.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class RelayTests
{
    private readonly ITestOutputHelper _output;

    public RelayTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task Ping_SpokeToHubAndSpokeToSpoke_AllRepliesAndHubSeesBothPeersOnline()
    {
        DaemonKit.Require("ping");
        using Topology topology = Topology.HubAndSpokes(2);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Node s1 = topology.Spoke(1);
        Node s2 = topology.Spoke(2);

        (PingResult warmHub, TimeSpan hubAfter) = DaemonKit.WaitReachable(s1, topology.Hub.OverlayAddress);
        _output.WriteLine($"s1 -> hub first reply after {hubAfter.TotalMilliseconds:0} ms ({warmHub.Received}/{warmHub.Transmitted})");
        PingResult toHub = s1.Ping(topology.Hub.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(toHub.AllReceived, $"s1 -> hub overlay\n{toHub}\n{star.Describe()}");

        (PingResult warmSpoke, TimeSpan spokeAfter) = DaemonKit.WaitReachable(s1, s2.OverlayAddress);
        _output.WriteLine($"s1 -> s2 first reply after {spokeAfter.TotalMilliseconds:0} ms ({warmSpoke.Received}/{warmSpoke.Transmitted})");
        PingResult toSpoke = s1.Ping(s2.OverlayAddress, count: 3, deadlineSec: 10);
        Assert.True(toSpoke.AllReceived, $"s1 -> s2 overlay through the relay\n{toSpoke}\n{star.Describe()}");

        DaemonStatus hub = star.Hub.Status();
        _output.WriteLine("hub status: " + hub.Json);
        Assert.Equal(1, hub.SchemaVersion);
        foreach (Node spoke in topology.Spokes)
        {
            PeerStatus peer = hub.Peer(OverlayConfigs.IdOf(spoke));
            Assert.True(peer.Online, $"hub sees {spoke.Name} offline: {hub.Json}");
            Assert.NotNull(peer.LastHandshakeUnix);
            Assert.True(peer.RxBytes > 0 && peer.TxBytes > 0, $"{spoke.Name}: rx {peer.RxBytes} tx {peer.TxBytes}");
            Assert.StartsWith(spoke.UnderlayAddress + ":", peer.Endpoint);
        }

        // Three echo requests and three replies crossed the hub between the spokes (the warm-up adds more).
        Assert.True(hub.TrafficCounter("relay_packets") >= 6, $"relay_packets: {hub.Json}");
    }

    [SkippableFact]
    public async Task Iperf3_SpokeToSpokeThroughRelay_PositiveRate()
    {
        DaemonKit.Require("ping", "iperf3");
        using Topology topology = Topology.HubAndSpokes(2);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Node s1 = topology.Spoke(1);
        Node s2 = topology.Spoke(2);
        Assert.True(DaemonKit.WaitReachable(s1, s2.OverlayAddress).Ping.Received == 1, "s1 -> s2 never reachable\n" + star.Describe());
        Iperf3Server server = topology.Track(await Iperf3Server.StartAsync(s2.Ns, s2.OverlayAddress));

        Iperf3Result result = Iperf3.RunClient(s1.Ns, server.Address, server.Port, seconds: 5);

        _output.WriteLine($"iperf3 TCP s1 -> s2 through the hub relay, 5 s: {result}");
        DaemonStatus hub = star.Hub.Status();
        _output.WriteLine($"hub relay_packets={hub.TrafficCounter("relay_packets")} relay_bytes={hub.TrafficCounter("relay_bytes")} drops: {hub.NonZeroDrops}");
        Assert.True(result.BitsPerSecond > 0, result + "\n" + star.Describe());
        Assert.True(hub.TrafficCounter("relay_bytes") > 1_000_000, $"the stream did not cross the hub relay: {hub.Json}");
    }

    [SkippableFact]
    public async Task Capture_PingWithPlaintextMarker_UnderlayCarriesOnlyEncryptedUdp()
    {
        DaemonKit.Require("ping", "tcpdump");
        using Topology topology = Topology.HubAndSpokes(2);
        OverlayStar star = await OverlayStar.StartAsync(topology);
        Node hubNode = topology.Hub;
        Node s1 = topology.Spoke(1);
        Node s2 = topology.Spoke(2);
        Assert.True(DaemonKit.WaitReachable(s1, s2.OverlayAddress).Ping.Received == 1, "s1 -> s2 never reachable\n" + star.Describe());

        // ping -p repeats the 16-byte pattern through the ICMP payload.
        const string toHubMarker = "OVL-PLAIN-TO-HUB";
        const string relayMarker = "OVL-PLAIN-RELAY!";
        using PacketCapture fromS1 = await PacketCapture.StartAsync(hubNode.Ns, LinkTo(hubNode, s1));
        using PacketCapture toS2 = await PacketCapture.StartAsync(hubNode.Ns, LinkTo(hubNode, s2));
        using PacketCapture hubTun = await PacketCapture.StartAsync(hubNode.Ns, star.Hub.TunName);

        PingResult toHub = s1.Ping(hubNode.OverlayAddress, count: 3, deadlineSec: 10, patternHex: Hex(toHubMarker));
        PingResult relayed = s1.Ping(s2.OverlayAddress, count: 3, deadlineSec: 10, patternHex: Hex(relayMarker));

        CaptureResult s1Link = await fromS1.StopAsync();
        CaptureResult s2Link = await toS2.StopAsync();
        CaptureResult tun = await hubTun.StopAsync();
        _output.WriteLine($"to-s1: {s1Link}\nto-s2: {s2Link}\nhub tun: {tun}");
        Assert.True(toHub.AllReceived, toHub + "\n" + star.Describe());
        Assert.True(relayed.AllReceived, relayed + "\n" + star.Describe());

        // Positive control: the marker is really in the packets — the hub's tun sees the pings addressed to it.
        Assert.True(tun.Contains(toHubMarker), "hub tun capture lacks the ping marker: the capture proves nothing");
        Assert.False(s1Link.Contains(toHubMarker), "ICMP marker to the hub visible on the hub's underlay link to s1");
        Assert.False(s1Link.Contains(relayMarker), "relayed ICMP marker visible on the hub's underlay link to s1");
        Assert.False(s2Link.Contains(relayMarker), "relayed ICMP marker visible on the hub's underlay link to s2");

        // The relay stays inside the daemon: relayed packets never pass the hub's tun.
        Assert.False(tun.Contains(relayMarker), "spoke-to-spoke packets went through the hub's tun instead of the in-daemon relay");
        Assert.True(s1Link.CountUdp(OverlayConfigs.HubPort) >= 12, $"want >= 12 WireGuard datagrams on to-s1 (2 x 3 requests + replies): {s1Link}");
        Assert.True(s2Link.CountUdp(OverlayConfigs.HubPort) >= 6, $"want >= 6 WireGuard datagrams on to-s2: {s2Link}");
    }

    private static string LinkTo(Node hub, Node spoke) => hub.Links.Single(l => ReferenceEquals(l.Peer, spoke)).Interface;

    private static string Hex(string ascii) => Convert.ToHexStringLower(Encoding.ASCII.GetBytes(ascii));
}
