using System.Net;
using System.Text;
using Overlay.Protocol;
using Overlay.Protocol.Engine;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>
/// Sticky source addresses over the fakes: a hub whose port owns two addresses (198.18.0.1 and 198.18.0.5)
/// and a spoke that dials the second. Replies must leave from the address the spoke dialed, the learned
/// source must be forgotten when that address goes (and the datagram still delivered), and a configured
/// endpoint must clear it (issue 15 item 3).
/// </summary>
public sealed class StickySourceTests
{
    private const string Second = "198.18.0.5";
    private static readonly UdpEndpoint HubPrimary = UdpEndpoint.From(IPEndPoint.Parse("198.18.0.1:51820"));
    private static readonly UdpEndpoint HubSecond = UdpEndpoint.From(IPEndPoint.Parse(Second + ":51820"));
    private static readonly UdpEndpoint SpokeAt = UdpEndpoint.From(IPEndPoint.Parse("198.18.1.2:40000"));

    private sealed class Setup
    {
        public required FakeOverlay Overlay { get; init; }
        public List<UdpEndpoint> HubToSpokeSources { get; } = [];
        public WireGuardPeer SpokeAtHub => Overlay.Hub.DataPath.WireGuard.Peers.Single();
        public WireGuardPeer HubAtSpoke => Overlay.Spoke(1).DataPath.WireGuard.Peers.Single();
    }

    private static Setup Start()
    {
        var o = new FakeOverlay();
        FakeNode hub = o.Add("hub", FakeOverlay.HubJson(1), "198.18.0.1:51820", isHub: true);
        o.Network.AddAddress(hub.Udp, Second);
        o.Add("spoke1", FakeOverlay.SpokeJson(1).Replace("198.18.0.1:51820", Second + ":51820", StringComparison.Ordinal), "198.18.1.2:40000", isHub: false);
        var s = new Setup { Overlay = o };
        o.Network.Rewrite = (ref UdpEndpoint source, UdpEndpoint destination, ReadOnlySpan<byte> datagram) =>
        {
            if (destination == SpokeAt) s.HubToSpokeSources.Add(source);
            return true;
        };
        o.Start();
        return s;
    }

    private static byte[] Packet(string from, string to, string text) => IpPackets.Udp4(from, to, Encoding.ASCII.GetBytes(text));

    /// <summary>The hub's tun sends one packet to the spoke; returns it as the spoke's tun must see it.</summary>
    private static byte[] HubSends(Setup s, string text)
    {
        byte[] packet = Packet("198.19.0.1", "198.19.0.2", text);
        s.Overlay.Hub.Tun.Inject(packet);
        s.Overlay.Pump();
        return packet;
    }

    [Fact]
    public void Replies_SpokeDialedSecondAddress_LeaveFromThatAddress()
    {
        Setup s = Start();
        byte[] request = Packet("198.19.0.2", "198.19.0.1", "ping");
        s.Overlay.Spoke(1).Tun.Inject(request);
        s.Overlay.Pump();
        byte[] reply = HubSends(s, "pong");

        Assert.Equal(request, s.Overlay.Hub.Tun.Written.DequeueCopy());
        Assert.Equal(reply, s.Overlay.Spoke(1).Tun.Written.DequeueCopy());
        Assert.NotEmpty(s.HubToSpokeSources);   // the handshake response and the reply at least
        Assert.All(s.HubToSpokeSources, from => Assert.Equal(HubSecond, from));
        Assert.Equal(HubSecond, s.HubAtSpoke.Endpoint);   // the spoke never roamed to the primary address
        Assert.Equal(Second, s.SpokeAtHub.LocalSource.ToString());
    }

    [Fact]
    public void Send_LearnedAddressRemoved_ResentFromAnotherAndForgotten()
    {
        Setup s = Start();
        Assert.False(s.SpokeAtHub.LocalSource.IsNone);
        s.Overlay.Network.RemoveAddress(s.Overlay.Hub.Udp, Second);
        s.HubToSpokeSources.Clear();

        byte[] first = HubSends(s, "after the address went");

        Assert.Equal(first, s.Overlay.Spoke(1).Tun.Written.DequeueCopy());   // not lost: sent again without the source
        Assert.Equal(1, s.Overlay.Hub.Udp.SourcesRefused);
        Assert.Equal(HubPrimary, s.HubToSpokeSources[0]);
        // The spoke roamed to the address the reply came from, and its datagrams now arrive there.
        Assert.Equal(HubPrimary, s.HubAtSpoke.Endpoint);

        byte[] second = HubSends(s, "and again");
        Assert.Equal(second, s.Overlay.Spoke(1).Tun.Written.DequeueCopy());
        Assert.Equal(1, s.Overlay.Hub.Udp.SourcesRefused);   // forgotten: no second refusal
        Assert.All(s.HubToSpokeSources, from => Assert.Equal(HubPrimary, from));
    }

    [Fact]
    public void Receive_FromSpokeAtNewAddress_SourceRelearned()
    {
        Setup s = Start();
        s.Overlay.Network.RemoveAddress(s.Overlay.Hub.Udp, Second);
        HubSends(s, "fall over");
        byte[] request = Packet("198.19.0.2", "198.19.0.1", "to the primary now");

        s.Overlay.Spoke(1).Tun.Inject(request);
        s.Overlay.Pump();

        Assert.Equal(request, s.Overlay.Hub.Tun.Written.DequeueCopy());
        Assert.Equal("198.18.0.1", s.SpokeAtHub.LocalSource.ToString());
    }

    [Fact]
    public void SetEndpoint_ByConfig_ForgetsLearnedSource()
    {
        Setup s = Start();
        WireGuardEngine engine = s.Overlay.Hub.DataPath.WireGuard;
        engine.SetEndpoint(s.SpokeAtHub, s.SpokeAtHub.Endpoint);
        Assert.True(s.SpokeAtHub.LocalSource.IsNone);
        s.HubToSpokeSources.Clear();

        HubSends(s, "the kernel picks");

        Assert.Equal(HubPrimary, s.HubToSpokeSources[0]);
        Assert.Equal(0, s.Overlay.Hub.Udp.SourcesRefused);
    }

    [Fact]
    public void ForgetLocalSource_PeerLearnedAnotherMeanwhile_KeepsIt()
    {
        Setup s = Start();
        LocalAddress learned = s.SpokeAtHub.LocalSource;
        var stale = new LocalAddress(IPAddress.Parse("198.18.0.9").GetAddressBytes(), 0);

        s.Overlay.Hub.DataPath.WireGuard.ForgetLocalSource(s.SpokeAtHub, stale);

        Assert.Equal(learned, s.SpokeAtHub.LocalSource);
    }

    [Fact]
    public void Relay_StickySourceOnSecondAddress_AllocatesNothingPerPacket()
    {
        Setup s = Start();
        byte[] request = Packet("198.19.0.2", "198.19.0.1", new string('x', 1000));
        byte[] reply = Packet("198.19.0.1", "198.19.0.2", new string('y', 1000));
        s.Overlay.Network.Rewrite = null;
        void Round()
        {
            for (int i = 0; i < 8; i++)
            {
                s.Overlay.Spoke(1).Tun.Inject(request);
                s.Overlay.Hub.Tun.Inject(reply);
            }
            s.Overlay.Pump();
            s.Overlay.Hub.Tun.Written.Clear();
            s.Overlay.Spoke(1).Tun.Written.Clear();
        }

        long allocated = AllocationProbe.SteadyStateBytes(Round, warmUp: 50, rounds: 625, out _);

        Assert.Equal(0, allocated);
        Assert.Equal(Second, s.SpokeAtHub.LocalSource.ToString());
        Assert.Equal(0, s.Overlay.Hub.Udp.SourcesRefused);
    }
}
