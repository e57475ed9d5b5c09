using System.Text;
using Overlay.Protocol.Stats;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>
/// The shared packet path over fake tun/UDP: a real hub and real spokes (production
/// NodeDataPath, WireGuard engine, forwarding tables, role policies) in one process.
/// </summary>
public sealed class NodeDataPathTests
{
    private static byte[] Payload(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Start_SpokesDialHub_SessionsEstablishedBeforeAnyTraffic()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();

        Assert.All(o.Hub.DataPath.WireGuard.Peers, p => Assert.True(o.Hub.DataPath.WireGuard.HasSession(p), $"{p} has no session"));
        Assert.Equal(2, o.Hub.DataPath.Counters.SessionsEstablished);
        Assert.Equal(0, o.Hub.DataPath.Counters.TotalDropped);
    }

    [Fact]
    public void SpokeToSpoke_RelayedByHub_ArrivesIntact()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        byte[] packet = IpPackets.Udp4("198.19.0.2", "198.19.0.3", Payload("hello spoke2"));

        o.Spoke(1).Tun.Inject(packet);
        o.Pump();

        Assert.Equal(packet, o.Spoke(2).Tun.Written.DequeueCopy());
        Assert.Equal(1, o.Hub.DataPath.Counters.RelayPackets);
        Assert.Equal(0, o.Hub.Tun.Written.Count);
        Assert.Equal(0, o.Hub.DataPath.Counters.TotalDropped);
    }

    [Fact]
    public void SpokeToHub_DeliveredToHubTun_AndReplyReturns()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        byte[] request = IpPackets.Udp4("198.19.0.2", "198.19.0.1", Payload("ping"));
        byte[] reply = IpPackets.Udp4("198.19.0.1", "198.19.0.2", Payload("pong"));

        o.Spoke(1).Tun.Inject(request);
        o.Pump();
        o.Hub.Tun.Inject(reply);
        o.Pump();

        Assert.Equal(request, o.Hub.Tun.Written.DequeueCopy());
        Assert.Equal(reply, o.Spoke(1).Tun.Written.DequeueCopy());
    }

    [Fact]
    public void SendBeforeHandshake_PacketStagedThenDelivered()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        byte[] early = IpPackets.Udp4("198.19.0.2", "198.19.0.1", Payload("early"));
        o.Spoke(1).Tun.Inject(early);

        o.Start();

        Assert.Equal(early, o.Hub.Tun.Written.DequeueCopy());
    }

    [Fact]
    public void Ipv6Packet_RoutedByLongestPrefix()
    {
        var o = new FakeOverlay();
        string psk = FakeOverlay.Psk(1);
        o.Add("hub", $$"""
            { "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "local_tun_ip": "198.19.0.1/24",
              "peers": [ { "id": 2, "allowed_src": ["198.19.0.2/32", "fd00:19::2/128"], "psk": "{{psk}}" } ] }
            """, "198.18.0.1:51820", isHub: true);
        o.Add("spoke", $$"""
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 2, "local_tun_ip": "198.19.0.2/24",
              "remote_routes": ["198.19.0.0/24", "fd00:19::/64"],
              "peers": [ { "id": 1, "endpoint": "198.18.0.1:51820", "psk": "{{psk}}" } ] }
            """, "198.18.1.2:40000", isHub: false);
        o.Start();
        byte[] v6 = IpPackets.Udp6("fd00:19::2", "fd00:19::99", Payload("six"));

        o.Spoke(1).Tun.Inject(v6);
        o.Pump();

        // The hub has no route for fd00:19::99 (only spoke /128s and its own v4 address).
        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.NoRoute));
        Assert.Equal(0, o.Hub.DataPath.Counters.Dropped(DropReason.InnerSourceSpoofed));
    }

    [Fact]
    public void SpoofedInnerSource_DroppedAndCounted()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        // spoke1 claims spoke2's overlay address as its source.
        o.Spoke(1).Tun.Inject(IpPackets.Udp4("198.19.0.3", "198.19.0.1", Payload("spoof")));
        o.Pump();

        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.InnerSourceSpoofed));
        Assert.Equal(0, o.Hub.Tun.Written.Count);
    }

    [Fact]
    public void HubRoutesBackToSender_DroppedAsNoReflect()
    {
        var o = new FakeOverlay();
        string psk = FakeOverlay.Psk(1);
        o.Add("hub", $$"""
            { "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "local_tun_ip": "198.19.0.1/24",
              "peers": [ { "id": 2, "allowed_src": "198.19.0.2/32", "psk": "{{psk}}" } ] }
            """, "198.18.0.1:51820", isHub: true);
        // The spoke serves a LAN, so its own tunnel address is not "local" in its table and a
        // packet to it goes to the hub, which must not send it back where it came from.
        o.Add("spoke", $$"""
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 2, "local_tun_ip": "198.19.0.2/24",
              "local_routes": ["198.19.9.0/24"],
              "peers": [ { "id": 1, "endpoint": "198.18.0.1:51820", "psk": "{{psk}}" } ] }
            """, "198.18.1.2:40000", isHub: false);
        o.Start();

        o.Spoke(1).Tun.Inject(IpPackets.Udp4("198.19.0.2", "198.19.0.2", Payload("loop")));
        o.Pump();

        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.NoReflect));
        Assert.Equal(0, o.Hub.DataPath.Counters.RelayPackets);
    }

    [Fact]
    public void TunPacketErrors_CountedByReason()
    {
        var o = FakeOverlay.HubAndSpokes(1, mtu: 1280);
        o.Start();
        var spoke = o.Spoke(1);

        spoke.Tun.Inject([0x00, 0x01, 0x02]);                                              // not IP
        spoke.Tun.Inject(IpPackets.Udp4("198.19.0.2", "198.19.0.1", new byte[1300]));      // > MTU
        spoke.Tun.Inject(IpPackets.Udp4("198.19.0.2", "203.0.113.7", Payload("nowhere"))); // outside every route
        o.Pump();

        Assert.Equal(1, spoke.DataPath.Counters.Dropped(DropReason.NotIp));
        Assert.Equal(1, spoke.DataPath.Counters.Dropped(DropReason.Oversized));
        Assert.Equal(1, spoke.DataPath.Counters.Dropped(DropReason.NoRoute));
        Assert.Equal(0, o.Hub.Tun.Written.Count);
    }

    [Fact]
    public void WrongPsk_NoSession_HubCountsFailures_NothingDelivered()
    {
        var o = new FakeOverlay();
        o.Add("hub", FakeOverlay.HubJson(1), "198.18.0.1:51820", isHub: true);
        o.Add("spoke1", FakeOverlay.SpokeJson(1, psk: FakeOverlay.Psk(99)), "198.18.1.2:40000", isHub: false);
        o.Spoke(1).Tun.Inject(IpPackets.Udp4("198.19.0.2", "198.19.0.1", Payload("x")));

        o.Start();
        o.Advance(TimeSpan.FromSeconds(12));

        long failures = o.Hub.DataPath.Counters.Dropped(DropReason.InvalidMac1) + o.Hub.DataPath.Counters.Dropped(DropReason.HandshakeFailed);
        Assert.True(failures >= 2, $"expected repeated handshake failures, saw {failures}");
        Assert.False(o.Spoke(1).DataPath.WireGuard.HasSession(o.Spoke(1).DataPath.WireGuard.Peers[0]));
        Assert.Equal(0, o.Hub.Tun.Written.Count);
    }

    [Fact]
    public void SpokeRoams_HubLearnsNewEndpointAfterAuthentication()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        var hubPeer = o.Hub.DataPath.WireGuard.Peers[0];
        Assert.Equal("198.18.1.2:40000", hubPeer.Endpoint.ToString());

        o.Network.Move(o.Spoke(1).Udp, "198.18.1.77:41000");
        o.Spoke(1).Tun.Inject(IpPackets.Udp4("198.19.0.2", "198.19.0.1", Payload("moved")));
        o.Pump();
        o.Hub.Tun.Inject(IpPackets.Udp4("198.19.0.1", "198.19.0.2", Payload("back")));
        o.Pump();

        Assert.Equal("198.18.1.77:41000", hubPeer.Endpoint.ToString());
        Assert.NotNull(o.Spoke(1).Tun.Written.DequeueCopy());
    }

    [Fact]
    public void IdleSpoke_SendsPersistentKeepalive()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        long before = o.Spoke(1).DataPath.Counters.KeepalivesSent;

        o.Advance(TimeSpan.FromSeconds(26));

        Assert.True(o.Spoke(1).DataPath.Counters.KeepalivesSent > before);
        Assert.True(o.Hub.DataPath.WireGuard.HasSession(o.Hub.DataPath.WireGuard.Peers[0]));
    }

    /// <summary>Regression (review): keepalive_secs on a hub was accepted but ignored.</summary>
    [Fact]
    public void HubWithKeepaliveSecs_SendsPersistentKeepalives()
    {
        var o = new FakeOverlay();
        o.Add("hub", FakeOverlay.HubJson(1).Replace("\"listen_port\": 51820", "\"listen_port\": 51820, \"keepalive_secs\": 5"),
            "198.18.0.1:51820", isHub: true);
        o.Add("spoke1", FakeOverlay.SpokeJson(1).Replace("\"listen_port\": 40000", "\"listen_port\": 40000, \"keepalive_secs\": 0"),
            "198.18.1.2:40000", isHub: false);
        o.Spoke(1).Tun.Inject(IpPackets.Udp4("198.19.0.2", "198.19.0.1", Payload("hello"))); // the spoke dials on demand
        o.Start();
        long before = o.Hub.DataPath.Counters.KeepalivesSent;

        o.Advance(TimeSpan.FromSeconds(12));

        Assert.True(o.Hub.DataPath.Counters.KeepalivesSent >= before + 2, $"hub keepalives: {o.Hub.DataPath.Counters.KeepalivesSent - before}");
    }

    /// <summary>Both AEAD backends (ChaChaPolyKey: libsodium below DefaultLargeMinimumLength, OpenSSL from it).</summary>
    [Theory]
    [InlineData(32)]
    [InlineData(1200)]
    public void Relay_TenThousandPackets_AllocatesNothingPerPacket(int payload)
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        byte[] packet = IpPackets.Udp4("198.19.0.2", "198.19.0.3", new byte[payload]);
        Assert.Equal(payload > 1000, packet.Length >= Overlay.Protocol.Crypto.ChaChaPolyKey.DefaultLargeMinimumLength);
        void Round()
        {
            for (int i = 0; i < 16; i++) o.Spoke(1).Tun.Inject(packet);
            o.Pump();
            o.Spoke(2).Tun.Written.Clear();
        }
        // Warm-up 50 rounds (JIT, tiering, first-use paths), then windows of 625 rounds = 10,000
        // packets: tun -> seal -> hub open -> reseal -> spoke2 open -> tun.
        long allocated = AllocationProbe.SteadyStateBytes(Round, warmUp: 50, rounds: 625, out int windows);

        Assert.Equal(16 * (50 + 625 * windows), o.Hub.DataPath.Counters.RelayPackets);
        Assert.Equal(0, allocated);
    }
}
