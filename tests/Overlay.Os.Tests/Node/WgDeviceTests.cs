using System.Net;
using System.Text;
using Overlay.Os.Node;
using Overlay.Os.Uapi;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Stats;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>
/// Plain WireGuard (subnetra-wg) over the real data path and engine, configured only through
/// parsed UAPI sets, as wg(8) would: cryptokey routing, the inbound source check, peer
/// replacement and removal, key changes, roaming and a 130,560-prefix set read back whole.
/// </summary>
public sealed class WgDeviceTests
{
    private sealed class FakePorts(FakeNetwork network, FakeUdpPort udp) : IWgHostPorts
    {
        public bool RefuseBind { get; set; }
        public uint Mark { get; private set; }
        public int ListenPort => udp.LocalPort;

        public int Rebind(int port)
        {
            if (RefuseBind) throw new IOException("bind(UDP port): EADDRINUSE");
            string ip = udp.Local.ToIPEndPoint().Address.ToString();
            network.Move(udp, $"{ip}:{port}");
            return port;
        }

        public bool RefuseMark { get; set; }

        public void SetFwmark(uint mark)
        {
            if (RefuseMark) throw new Overlay.Os.Interop.SystemCallException("setsockopt(SO_MARK)", Overlay.Os.Interop.Errno.EPERM);
            Mark = mark;
        }
    }

    private sealed class Dev
    {
        public required NodeDataPath Path { get; init; }
        public required FakeTun Tun { get; init; }
        public required FakeUdpPort Udp { get; init; }
        public required FakePorts Ports { get; init; }
        public required WgDevice Device { get; init; }
        public required string PrivateHex { get; init; }
        public required string PublicHex { get; init; }

        public int Set(params string[] lines)
        {
            Assert.True(UapiSetParser.TryParse(Overlay.Os.Tests.Uapi.UapiSetParserTests.Body(lines), Device.PublicKey, out UapiSetRequest r, out int errno, out string error), $"errno {errno}: {error}");
            using (r) return Device.Apply(r, out _);
        }
    }

    private readonly ManualTimeProvider _time = new();
    private readonly FakeNetwork _net = new();
    private readonly List<Dev> _devs = [];

    /// <param name="large">Fakes that hold 64 KiB packets (fewer of them), for large-MTU tests.</param>
    private Dev Add(string underlay, bool large = false)
    {
        var tun = large ? new FakeTun(64, 64 * 1024) : new FakeTun();
        FakeUdpPort udp = large ? _net.Attach(underlay, 64, 64 * 1024) : _net.Attach(underlay);
        // As NodeHost.OpenPlain: padding starts at 1420, frames hold the largest plain packet.
        var setup = new NodeSetup
        {
            LocalId = 1, Mtu = 1420, MaxPacket = NodeDataPath.MaxPlainPacket, FollowsInterfaceMtu = true,
            Table = ForwardingTable.Empty, Peers = [],
        };
        var path = new NodeDataPath(setup, tun, [udp], _time, new PlainWgPolicy());
        var ports = new FakePorts(_net, udp);
        LocalIdentity id = LocalIdentity.Generate();
        var sk = new byte[32];
        id.CopyPrivateKey(sk);
        var d = new Dev
        {
            Path = path, Tun = tun, Udp = udp, Ports = ports, Device = new WgDevice(path, ports),
            PrivateHex = Convert.ToHexStringLower(sk), PublicHex = Convert.ToHexStringLower(id.PublicKey),
        };
        Assert.Equal(0, d.Set($"private_key={d.PrivateHex}"));
        _devs.Add(d);
        return d;
    }

    private void Pump()
    {
        for (int round = 0; round < 200; round++)
        {
            bool busy = false;
            foreach (Dev d in _devs)
            {
                if (d.Udp.Inbox.Count == 0 && d.Tun.Inbound.Count == 0) continue;
                busy = true;
                d.Path.BeginTurn(d.Path.Time.GetTimestamp());
                d.Path.OnUdpReadable(0);
                d.Path.OnTunReadable();
                d.Path.EndTurn();
            }
            if (!busy) return;
        }
    }

    private static byte[] Packet(string src, string dst, string text) => IpPackets.Udp4(src, dst, Encoding.ASCII.GetBytes(text));

    /// <summary>A at 198.18.0.1 (inner .10.1), B at 198.18.0.2 (inner .10.2), each the other's peer.</summary>
    private (Dev A, Dev B) Pair(bool large = false)
    {
        Dev a = Add("198.18.0.1:51820", large), b = Add("198.18.0.2:51820", large);
        Assert.Equal(0, a.Set($"public_key={b.PublicHex}", "endpoint=198.18.0.2:51820", "allowed_ip=198.18.10.2/32"));
        Assert.Equal(0, b.Set($"public_key={a.PublicHex}", "endpoint=198.18.0.1:51820", "allowed_ip=198.18.10.1/32"));
        return (a, b);
    }

    /// <summary>
    /// Regression (review): plain WireGuard peers were given link hints keyed by the all-zero PSK a
    /// wg config without PresharedKey has, so anyone could compute them and link our initiations.
    /// </summary>
    [Fact]
    public void Apply_PeersOfAPlainDevice_CarryNoLinkHint()
    {
        (Dev a, Dev b) = Pair();
        a.Tun.Inject(Packet("198.18.10.1", "198.18.10.2", "ping"));
        Pump();

        Assert.NotEmpty(a.Path.WireGuard.Peers);
        Assert.All(a.Path.WireGuard.Peers, p => Assert.False(p.SendsLinkHints));
        Assert.All(b.Path.WireGuard.Peers, p => Assert.False(p.SendsLinkHints));
    }

    /// <summary>netns.sh's big MTU: a 34,736-byte inner packet (one UDP datagram of 34,784 bytes) passes whole both ways.</summary>
    [Fact]
    public void LargePacket_34736Bytes_PassesBothWaysAndAllocatesNothingPerPacket()
    {
        (Dev a, Dev b) = Pair(large: true);
        a.Path.SetMtu(34736);
        b.Path.SetMtu(34736);
        byte[] there = IpPackets.Udp4("198.18.10.1", "198.18.10.2", new byte[34736 - 28]);
        byte[] back = IpPackets.Udp4("198.18.10.2", "198.18.10.1", new byte[34736 - 28]);
        Assert.Equal(34736, there.Length);
        a.Tun.Inject(there);
        Pump();
        b.Tun.Inject(back);
        Pump();
        Assert.Equal(there, b.Tun.Written.DequeueCopy());
        Assert.Equal(back, a.Tun.Written.DequeueCopy());

        void Round()
        {
            for (int i = 0; i < 4; i++) a.Tun.Inject(there);
            Pump();
            b.Tun.Written.Clear();
        }
        long allocated = AllocationProbe.SteadyStateBytes(Round, warmUp: 20, rounds: 250, out int windows);

        Assert.Equal(0, allocated);
        Assert.Equal(0, b.Path.Counters.Dropped(DropReason.Oversized));
        Assert.True(windows > 0);
    }

    /// <summary>A packet larger than any UDP datagram can carry sealed is dropped as oversized, not truncated.</summary>
    [Fact]
    public void TunPacket_LargerThanMaxPlainPacket_DroppedAsOversized()
    {
        (Dev a, _) = Pair(large: true);
        a.Tun.Inject(IpPackets.Udp4("198.18.10.1", "198.18.10.2", new byte[NodeDataPath.MaxPlainPacket + 1 - 28]));
        Pump();
        Assert.Equal(1, a.Path.Counters.Dropped(DropReason.Oversized));
    }

    /// <summary>
    /// Padding follows the interface's MTU (wireguard-go pads to the device's current MTU): a
    /// 1,421-byte packet is padded to 1,436 (its last 1-byte unit past a 1,420 MTU, to 16) at 1,420,
    /// and to 1,424 once the MTU is 34,736; the datagram is 32 bytes more (header and tag).
    /// </summary>
    [Fact]
    public void SetMtu_InterfaceMtuRaised_PaddingFollowsIt()
    {
        (Dev a, Dev b) = Pair();
        a.Tun.Inject(Packet("198.18.10.1", "198.18.10.2", "handshake first"));
        Pump();
        byte[] packet = IpPackets.Udp4("198.18.10.1", "198.18.10.2", new byte[1421 - 28]);

        long before = a.Path.Counters.UdpTxBytes;
        a.Tun.Inject(packet);
        Pump();
        long at1420 = a.Path.Counters.UdpTxBytes - before;
        a.Path.SetMtu(34736);
        before = a.Path.Counters.UdpTxBytes;
        a.Tun.Inject(packet);
        Pump();
        long at34736 = a.Path.Counters.UdpTxBytes - before;

        Assert.Equal(1436 + 32, at1420);
        Assert.Equal(1424 + 32, at34736);
        Assert.Equal(34736, a.Path.Mtu);
        Assert.Equal(3, b.Tun.Written.Count);
    }

    [Fact]
    public void Apply_TwoDevices_PingBothWays()
    {
        (Dev a, Dev b) = Pair();
        byte[] ping = Packet("198.18.10.1", "198.18.10.2", "ping"), pong = Packet("198.18.10.2", "198.18.10.1", "pong");

        a.Tun.Inject(ping);
        Pump();
        b.Tun.Inject(pong);
        Pump();

        Assert.Equal(ping, b.Tun.Written.DequeueCopy());
        Assert.Equal(pong, a.Tun.Written.DequeueCopy());
    }

    [Fact]
    public void Apply_InboundDestinationOfAnotherPeer_DeliveredToTunNotRelayed()
    {
        (Dev a, Dev b) = Pair();
        Dev c = Add("198.18.0.3:51820");
        Assert.Equal(0, b.Set($"public_key={c.PublicHex}", "allowed_ip=198.18.10.3/32"));
        // A sends to C's inner address through B (A routes 198.18.10.3 to B): plain WireGuard
        // hands it to B's kernel; it never relays inside the daemon.
        Assert.Equal(0, a.Set($"public_key={b.PublicHex}", "allowed_ip=198.18.10.3/32"));
        byte[] p = Packet("198.18.10.1", "198.18.10.3", "via b");

        a.Tun.Inject(p);
        Pump();

        Assert.Equal(p, b.Tun.Written.DequeueCopy());
        Assert.Equal(0, b.Path.Counters.RelayPackets);
    }

    [Fact]
    public void Apply_AllowedIpMovedToAnotherPeer_RouteAndSourceCheckFollow()
    {
        (Dev a, Dev b) = Pair();
        Dev c = Add("198.18.0.3:51820");
        Assert.Equal(0, c.Set($"public_key={a.PublicHex}", "endpoint=198.18.0.1:51820", "allowed_ip=198.18.10.1/32"));
        Assert.Equal(0, a.Set($"public_key={b.PublicHex}", "allowed_ip=198.18.20.0/24"));
        Assert.Equal(0, a.Set($"public_key={c.PublicHex}", "endpoint=198.18.0.3:51820", "allowed_ip=198.18.20.0/24"));

        Assert.Equal([IPNetwork.Parse("198.18.10.2/32")], a.Device.AllowedIps(Convert.FromHexString(b.PublicHex)));
        byte[] p = Packet("198.18.10.1", "198.18.20.7", "to c");
        a.Tun.Inject(p);
        Pump();
        Assert.Equal(p, c.Tun.Written.DequeueCopy());
        Assert.Equal(0, b.Tun.Written.Count);

        // B may no longer send from the moved prefix.
        Assert.Equal(0, b.Set($"public_key={a.PublicHex}", "allowed_ip=198.18.0.0/16"));
        b.Tun.Inject(Packet("198.18.20.9", "198.18.10.1", "spoofed"));
        Pump();
        Assert.Equal(0, a.Tun.Written.Count);
        Assert.Equal(1, a.Path.Counters.Dropped(DropReason.InnerSourceSpoofed));
    }

    [Fact]
    public void Apply_LongestPrefix_Wins()
    {
        (Dev a, Dev b) = Pair();
        Dev c = Add("198.18.0.3:51820");
        Assert.Equal(0, c.Set($"public_key={a.PublicHex}", "endpoint=198.18.0.1:51820", "allowed_ip=198.18.10.1/32"));
        Assert.Equal(0, a.Set($"public_key={b.PublicHex}", "allowed_ip=198.18.0.0/15", $"public_key={c.PublicHex}", "endpoint=198.18.0.3:51820", "allowed_ip=198.18.30.0/24"));

        a.Tun.Inject(Packet("198.18.10.1", "198.18.30.1", "c"));
        a.Tun.Inject(Packet("198.18.10.1", "198.18.31.1", "b"));
        Pump();

        Assert.Equal(1, c.Tun.Written.Count);
        Assert.Equal(1, b.Tun.Written.Count);
    }

    [Fact]
    public void Apply_RemoveAndReplacePeers_PeersGo()
    {
        (Dev a, Dev b) = Pair();
        string other = new('c', 64);
        Assert.Equal(0, a.Set($"public_key={other}", "allowed_ip=198.18.50.0/24"));
        Assert.Equal(2, a.Device.PeerCount);

        Assert.Equal(0, a.Set($"public_key={other}", "remove=true"));
        Assert.Equal(1, a.Device.PeerCount);
        Assert.Equal(1, a.Device.AllowedIpCount);

        Assert.Equal(0, a.Set("replace_peers=true"));
        Assert.Equal(0, a.Device.PeerCount);
        Assert.Empty(a.Path.WireGuard.Peers);
        Assert.Equal(0, a.Path.Table.Count);
    }

    [Fact]
    public void Apply_UpdateOnlyUnknownPeer_NotCreated()
    {
        Dev a = Add("198.18.0.1:51820");
        Assert.Equal(0, a.Set($"public_key={new string('d', 64)}", "update_only=true", "allowed_ip=198.18.60.0/24"));
        Assert.Equal(0, a.Device.PeerCount);
    }

    [Fact]
    public void Apply_ReplaceAllowedIps_OnlyNewOnesStay()
    {
        (Dev a, Dev b) = Pair();
        Assert.Equal(0, a.Set($"public_key={b.PublicHex}", "replace_allowed_ips=true", "allowed_ip=198.18.70.0/24", "allowed_ip=2001:2::/64"));
        Assert.Equal([IPNetwork.Parse("198.18.70.0/24"), IPNetwork.Parse("2001:2::/64")], a.Device.AllowedIps(Convert.FromHexString(b.PublicHex)));
        Assert.Equal(0, a.Set($"public_key={b.PublicHex}", "allowed_ip=-2001:2::/64"));
        Assert.Equal([IPNetwork.Parse("198.18.70.0/24")], a.Device.AllowedIps(Convert.FromHexString(b.PublicHex)));
    }

    [Fact]
    public void Apply_PrivateKeyChanged_PeersKeptAndHandshakeWorksWithNewKey()
    {
        (Dev a, Dev b) = Pair();
        LocalIdentity next = LocalIdentity.Generate();
        var sk = new byte[32];
        next.CopyPrivateKey(sk);
        Assert.Equal(0, a.Set($"private_key={Convert.ToHexStringLower(sk)}"));
        Assert.Equal(0, b.Set($"public_key={a.PublicHex}", "remove=true",
            $"public_key={Convert.ToHexStringLower(next.PublicKey)}", "endpoint=198.18.0.1:51820", "allowed_ip=198.18.10.1/32"));

        byte[] p = Packet("198.18.10.1", "198.18.10.2", "after rekey");
        a.Tun.Inject(p);
        Pump();

        Assert.Equal(1, a.Device.PeerCount);
        Assert.Equal(p, b.Tun.Written.DequeueCopy());
    }

    [Fact]
    public void Apply_ZeroPrivateKey_NoKeyReported()
    {
        Dev a = Add("198.18.0.1:51820");
        Assert.Equal(0, a.Set($"private_key={new string('0', 64)}"));
        Assert.False(a.Device.HasPrivateKey);
        using UapiDevice snap = a.Device.Snapshot();
        Assert.Null(snap.PrivateKey);
    }

    [Fact]
    public void Apply_ListenPortTaken_EaddrinuseAndNothingApplied()
    {
        Dev a = Add("198.18.0.1:51820");
        a.Ports.RefuseBind = true;
        Assert.True(UapiSetParser.TryParse(Overlay.Os.Tests.Uapi.UapiSetParserTests.Body("listen_port=51999", $"public_key={new string('e', 64)}"), a.Device.PublicKey, out UapiSetRequest r, out _, out _));
        Assert.Equal(UapiErrno.EADDRINUSE, a.Device.Apply(r, out string error));
        Assert.Contains("51999", error);
        Assert.Equal(0, a.Device.PeerCount);
    }

    [Fact]
    public void Apply_FwmarkRefused_WgGoErrnoNotEioAndPeersAlreadyAppliedKeepTheirRoutes()
    {
        Dev a = Add("198.18.0.1:51820");
        Assert.Equal(0, a.Set($"public_key={new string('e', 64)}", "allowed_ip=198.18.20.0/24"));
        a.Ports.RefuseMark = true;
        Assert.True(UapiSetParser.TryParse(Overlay.Os.Tests.Uapi.UapiSetParserTests.Body("listen_port=51999", "fwmark=51", $"public_key={new string('d', 64)}", "allowed_ip=198.18.30.0/24"),
            a.Device.PublicKey, out UapiSetRequest r, out _, out _));
        using (r)
        {
            // wireguard-go answers a failed BindSetMark with IpcErrorPortInUse; the SystemCallException
            // must not escape to WgUapi, which would answer EIO.
            Assert.Equal(UapiErrno.EADDRINUSE, a.Device.Apply(r, out string error));
            Assert.Contains("fwmark 51", error);
            Assert.Contains("EPERM", error);
        }
        using UapiDevice snap = a.Device.Snapshot();
        Assert.Equal(0u, snap.Fwmark);
        Assert.Equal(51999, snap.ListenPort); // rebound before the fwmark line, as in wireguard-go
        Assert.Equal(1, a.Device.PeerCount);  // the peer after the failing line is not applied
        Assert.Equal(1, a.Path.Table.Count);  // the routing swap still ran: the earlier peer keeps its route
        Assert.Equal([IPNetwork.Parse("198.18.20.0/24")], a.Device.AllowedIps(Convert.FromHexString(new string('e', 64))));
    }

    [Fact]
    public void Apply_ListenPortAndFwmark_Reported()
    {
        Dev a = Add("198.18.0.1:51820");
        Assert.Equal(0, a.Set("listen_port=51999", "fwmark=51"));
        using UapiDevice snap = a.Device.Snapshot();
        Assert.Equal(51999, snap.ListenPort);
        Assert.Equal(51u, snap.Fwmark);
        Assert.Equal(51u, a.Ports.Mark);
        Assert.Contains("fwmark=51\n", Overlay.Os.Tests.Uapi.UapiTextTests.Format(snap));
    }

    [Fact]
    public void Apply_PeerRoams_EndpointFollowsAuthenticatedSource()
    {
        (Dev a, Dev b) = Pair();
        a.Tun.Inject(Packet("198.18.10.1", "198.18.10.2", "first"));
        Pump();
        _net.Move(b.Udp, "198.18.0.22:40001");

        b.Tun.Inject(Packet("198.18.10.2", "198.18.10.1", "from new address"));
        Pump();

        Assert.Equal("198.18.0.22:40001", a.Device.FindPeer(Convert.FromHexString(b.PublicHex))!.Endpoint.ToString());
        a.Tun.Inject(Packet("198.18.10.1", "198.18.10.2", "to new address"));
        Pump();
        Assert.Equal(2, b.Tun.Written.Count);
    }

    [Fact]
    public void Snapshot_130560AllowedIps_ReadBackWhole()
    {
        Dev a = Add("198.18.0.1:51820");
        var lines = new List<string>();
        const int Peers = 4, PerPeer = 130_560 / Peers;
        for (int p = 0; p < Peers; p++)
        {
            lines.Add($"public_key={(p + 1):x2}{new string('f', 62)}");
            for (int i = 0; i < PerPeer; i++)
            {
                int n = p * PerPeer + i;
                lines.Add(n % 2 == 0
                    ? $"allowed_ip=198.{18 + (n >> 16 & 1)}.{n >> 8 & 0xff}.{n & 0xff}/32"
                    : $"allowed_ip=2001:2::{n >> 16:x}:{n & 0xffff:x}/128");
            }
        }

        Assert.Equal(0, a.Set([.. lines]));
        using UapiDevice snap = a.Device.Snapshot();
        string text = Overlay.Os.Tests.Uapi.UapiTextTests.Format(snap);

        Assert.Equal(130_560, a.Device.AllowedIpCount);
        Assert.Equal(130_560, a.Path.Table.Count);
        Assert.Equal(130_560, text.Split('\n').Count(l => l.StartsWith("allowed_ip=", StringComparison.Ordinal)));
        Assert.EndsWith("errno=0\n\n", text);
    }

    [Fact]
    public void Apply_SamePrivateKeyAgain_SessionsKept()
    {
        (Dev a, Dev b) = Pair();
        a.Tun.Inject(Packet("198.18.10.1", "198.18.10.2", "first"));
        Pump();
        WireGuardPeer before = a.Device.FindPeer(Convert.FromHexString(b.PublicHex))!;
        Assert.True(a.Path.WireGuard.HasSession(before));

        Assert.Equal(0, a.Set($"private_key={a.PrivateHex}"));   // what wg syncconf sends every time

        Assert.Same(before, a.Device.FindPeer(Convert.FromHexString(b.PublicHex)));
        Assert.True(a.Path.WireGuard.HasSession(before));
    }

    /// <summary>Issue 15: a private-key change re-keys the peers but, as wireguard-go, keeps their byte counters and last handshake.</summary>
    [Fact]
    public void Apply_PrivateKeyChanged_CountersAndLastHandshakeKept()
    {
        (Dev a, Dev b) = Pair();
        a.Tun.Inject(Packet("198.18.10.1", "198.18.10.2", "counted"));
        Pump();
        WireGuardPeer before = a.Device.FindPeer(Convert.FromHexString(b.PublicHex))!;
        (long rx, long tx, DateTimeOffset? hs) = (before.RxBytes, before.TxBytes, before.LastHandshake);
        Assert.True(rx > 0 && tx > 0 && hs is not null);

        LocalIdentity next = LocalIdentity.Generate();
        var sk = new byte[32];
        next.CopyPrivateKey(sk);
        Assert.Equal(0, a.Set($"private_key={Convert.ToHexStringLower(sk)}"));

        WireGuardPeer after = a.Device.FindPeer(Convert.FromHexString(b.PublicHex))!;
        Assert.NotSame(before, after);   // re-keyed: a new engine peer under the new identity
        Assert.Equal((rx, tx, hs), (after.RxBytes, after.TxBytes, after.LastHandshake));
        using UapiDevice snap = a.Device.Snapshot();
        Assert.Equal(rx, snap.Peers[0].RxBytes);
        Assert.Equal(tx, snap.Peers[0].TxBytes);
    }
}
