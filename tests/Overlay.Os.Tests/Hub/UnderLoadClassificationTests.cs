using Overlay.Os.Node;
using Overlay.Protocol.Messages;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Hub;

/// <summary>Load is counted after classification (issue 12 item 3): junk never puts the hub under load, genuine handshakes do.</summary>
public class UnderLoadClassificationTests
{
    private static readonly byte[] Frame = new byte[NodeDataPath.FrameHeadroom + NodeDataPath.MaxDatagram];

    private static void Feed(FakeNode node, ReadOnlySpan<byte> datagram, int sourcePort)
    {
        datagram.CopyTo(Frame);
        node.DataPath.HandleDatagram(0, Frame, datagram.Length, new Overlay.Protocol.UdpEndpoint([198, 18, 99, 1], (ushort)sourcePort));
    }

    [Fact]
    public void JunkInitiationsAndResponses_ManyInOneTurn_HubNotUnderLoad()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        var rng = new Random(9);
        var junk = new byte[MessageLayout.InitiationSize];
        o.Hub.DataPath.BeginTurn(o.Hub.DataPath.Time.GetTimestamp());
        for (int i = 0; i < 500; i++)
        {
            int size = i % 2 == 0 ? MessageLayout.InitiationSize : MessageLayout.ResponseSize;
            rng.NextBytes(junk);
            MessageLayout.WriteHeader(junk, i % 2 == 0 ? MessageType.HandshakeInitiation : MessageType.HandshakeResponse);
            Feed(o.Hub, junk.AsSpan(0, size), 1000 + i);
        }
        Assert.False(o.Hub.DataPath.WireGuard.UnderLoad);
        Assert.Equal(0, o.Hub.DataPath.Counters.CookieRepliesSent);
    }

    [Fact]
    public void GenuineInitiationReplayed_ManyInOneTurn_HubUnderLoad()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        byte[]? initiation = null;
        o.Network.Rewrite = (ref Overlay.Protocol.UdpEndpoint source, Overlay.Protocol.UdpEndpoint destination, ReadOnlySpan<byte> d) =>
        {
            if (initiation is null && d.Length == MessageLayout.InitiationSize && d[0] == 1) initiation = d.ToArray();
            return true;
        };
        o.Start();
        o.Network.Rewrite = null;
        Assert.NotNull(initiation);

        o.Hub.DataPath.BeginTurn(o.Hub.DataPath.Time.GetTimestamp());
        // Replays carry a valid mac1 (they are real): they reach the DH work, so they count.
        for (int i = 0; i <= NodeHubLimits.PerTurn; i++) Feed(o.Hub, initiation, 2000 + i);
        Assert.True(o.Hub.DataPath.WireGuard.UnderLoad);
    }

    private static class NodeHubLimits
    {
        public const int PerTurn = Overlay.Hub.HubPolicy.HandshakesPerTurnLimit;
    }
}
