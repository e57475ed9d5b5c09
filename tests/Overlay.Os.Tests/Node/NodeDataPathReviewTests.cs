using System.Text;
using Overlay.Protocol;
using Overlay.Hub;
using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Protocol.Stats;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>Regression tests for the node-engine findings of the data-plane review.</summary>
public sealed class NodeDataPathReviewTests
{
    private static byte[] Payload(int size) => Enumerable.Range(0, size).Select(i => (byte)i).ToArray();

    /// <summary>Spokes with a larger MTU than the hub: full-size packets must still cross the relay.</summary>
    [Fact]
    public void Relay_SpokeMtuLargerThanHubMtu_FullSizePacketArrives()
    {
        var o = new FakeOverlay();
        o.Add("hub", FakeOverlay.HubJson(2, mtu: 1280), "198.18.0.1:51820", isHub: true);
        for (int i = 1; i <= 2; i++) o.Add($"spoke{i}", FakeOverlay.SpokeJson(i, mtu: 1420), $"198.18.{i}.2:40000", isHub: false);
        o.Start();
        byte[] packet = IpPackets.Udp4("198.19.0.2", "198.19.0.3", Payload(1400 - 28));

        o.Spoke(1).Tun.Inject(packet);
        o.Pump();

        Assert.Equal(packet, o.Spoke(2).Tun.Written.DequeueCopy());
        Assert.Equal(0, o.Hub.DataPath.Counters.TotalDropped - o.Hub.DataPath.Counters.Dropped(DropReason.NoRoute));
    }

    /// <summary>A datagram too large for any frame is dropped and counted as oversized, not lost silently.</summary>
    [Fact]
    public void Datagram_LargerThanAnyFrame_CountedAsOversized()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        var junk = new byte[NodeDataPath.MaxDatagram + 100];
        junk[0] = 4;

        o.Hub.Udp.Inbox.Enqueue(junk, UdpEndpoint.From(System.Net.IPEndPoint.Parse("198.18.1.2:40000")));
        o.Pump();

        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.Oversized));
    }

    /// <summary>Kernel refusals counted by the socket reach the node's send_error counter.</summary>
    [Fact]
    public void SocketSendErrors_FoldedIntoNodeCounters()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();

        o.Hub.Udp.SendErrors += 3;
        o.Turn(o.Hub);

        Assert.Equal(3, o.Hub.DataPath.Counters.Dropped(DropReason.SendError));
    }

    /// <summary>With listen_ports, the handshake response leaves from the port the initiation arrived on.</summary>
    [Fact]
    public void ListenPorts_HandshakeReplyLeavesFromArrivalSocket()
    {
        var o = new FakeOverlay();
        string hubJson = FakeOverlay.HubJson(1).Replace("\"listen_port\": 51820", "\"listen_ports\": [51820, 51821]");
        OverlayConfig hubConfig = ConfigLoader.LoadJson(hubJson, "hub").Config!;
        FakeUdpPort port0 = o.Network.Attach("198.18.0.1:51820");
        FakeUdpPort port1 = o.Network.Attach("198.18.0.1:51821");
        var hubTun = new FakeTun();
        var hub = new NodeDataPath(NodeSetupBuilder.Build(hubConfig), hubTun, [port0, port1], o.Time, new HubPolicy(o.Time));
        o.Add("spoke1", FakeOverlay.SpokeJson(1).Replace("198.18.0.1:51820", "198.18.0.1:51821"), "198.18.1.2:40000", isHub: false);
        var sources = new List<string>();
        o.Network.Rewrite = (ref UdpEndpoint source, UdpEndpoint destination, ReadOnlySpan<byte> datagram) =>
        {
            if (destination.ToString() == "198.18.1.2:40000") sources.Add(source.ToString());
            return true;
        };
        hub.Start();
        o.Nodes[0].DataPath.Start();
        for (int round = 0; round < 10; round++)
        {
            o.Turn(o.Nodes[0]);
            hub.BeginTurn(hub.Time.GetTimestamp());
            hub.OnUdpReadable(0);
            hub.OnUdpReadable(1);
            hub.EndTurn();
        }

        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.Equal("198.18.0.1:51821", s));
        Assert.True(o.Nodes[0].DataPath.WireGuard.HasSession(o.Nodes[0].DataPath.WireGuard.Peers[0]));
    }
}
