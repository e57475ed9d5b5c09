using Overlay.Tests.Fakes;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Tests.Engine;

/// <summary>
/// The link hint in the engine (docs/link-hint.md): a hub with many PSK links finds a hinted initiation's link
/// in O(1), whatever its source, while junk never gets past the hint step.
/// </summary>
public class LinkHintEngineTests
{
    private const int HubId = 1;

    private sealed class Recorder : IWireGuardOutput
    {
        public readonly List<byte[]> Sent = new();
        public int CookieReplies;
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) => Sent.Add(datagram.ToArray());
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) => CookieReplies++;
    }

    private static byte[] LinkPsk(int spoke) => Enumerable.Range(0, 32).Select(i => (byte)(i * 11 + spoke * 3 + (spoke >> 8))).ToArray();

    internal sealed class HintedHub
    {
        public readonly ManualTimeProvider Time = new();
        public readonly Counters Counters = new();
        public readonly WireGuardEngine Engine;

        public HintedHub(int links)
        {
            Engine = new WireGuardEngine(Time, Counters, new Recorder());
            Span<byte> priv = stackalloc byte[32];
            Span<byte> spokePub = stackalloc byte[32];
            for (int spoke = 2; spoke < links + 2; spoke++)
            {
                byte[] psk = LinkPsk(spoke);
                PskIdentity.DeriveStaticPrivate(psk, HubId, (uint)spoke, priv);
                PskIdentity.DeriveStaticPublic(psk, (uint)spoke, HubId, spokePub);
                var peer = Engine.AddPeer(new LocalIdentity(priv), spokePub, psk, spoke, $"spoke{spoke}", default, 0);
                Engine.EnableLinkHint(peer, HubId);
            }
            Engine.BeginTurn(Time.GetTimestamp());
        }
    }

    /// <summary>The initiation spoke <paramref name="spoke"/> sends, with its clock <paramref name="skew"/> off the hub's.</summary>
    private static byte[] HintedInitiation(int spoke, TimeSpan skew = default, bool hint = true)
    {
        var time = new ManualTimeProvider();
        time.Advance(TimeSpan.FromHours(0.01) + skew);
        var output = new Recorder();
        var engine = new WireGuardEngine(time, new Counters(), output);
        byte[] psk = LinkPsk(spoke);
        var priv = new byte[32];
        var hubPub = new byte[32];
        PskIdentity.DeriveStaticPrivate(psk, (uint)spoke, HubId, priv);
        PskIdentity.DeriveStaticPublic(psk, HubId, (uint)spoke, hubPub);
        var peer = engine.AddPeer(new LocalIdentity(priv), hubPub, psk, HubId, "hub", new UdpEndpoint([198, 18, 0, 1], 51820), 0);
        if (hint) engine.EnableLinkHint(peer, spoke);
        engine.BeginTurn(time.GetTimestamp());
        var frame = new byte[128];
        frame[16] = 0x45;
        frame[19] = 20;
        Assert.Equal(SendResult.Staged, engine.SendPacket(peer, frame, 20));
        return Assert.Single(output.Sent);
    }

    private static UdpEndpoint NewSource(int n) => new([198, 18, (byte)(n >> 8), (byte)n], (ushort)(30000 + n));

    [Fact]
    public void Initiation_Hinted_FoundWithoutScanFromUnknownSource()
    {
        var hub = new HintedHub(1000);
        var r = hub.Engine.ProcessDatagram(HintedInitiation(700), NewSource(1));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(700, r.Peer!.Id);
        Assert.Equal(0, hub.Engine.Mac1ScanTrials);
        Assert.Equal(1, hub.Engine.LinkHintMatches);
    }

    [Fact]
    public void Initiation_HintedDuringJunkFlood_StillAdmitted()
    {
        var hub = new HintedHub(1000);
        var rng = new Random(11);
        var junk = new byte[MessageLayout.InitiationSize];
        // Junk from many sources uses up the whole turn's scan budget.
        for (int i = 0; i < 64; i++)
        {
            rng.NextBytes(junk);
            MessageLayout.WriteHeader(junk, MessageType.HandshakeInitiation);
            hub.Engine.ProcessDatagram(junk, NewSource(100 + i));
        }
        Assert.Equal(hub.Engine.Mac1ScanBudgetPerTurn, hub.Engine.Mac1ScanTrials);
        Assert.True(hub.Counters.Dropped(DropReason.Mac1ScanBudget) > 0);

        var r = hub.Engine.ProcessDatagram(HintedInitiation(1001), NewSource(2));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(1001, r.Peer!.Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]     // spoke clock one bucket ahead at most
    [InlineData(-100)]
    public void Initiation_ClockWithinABucket_UsesFastPath(int skewSeconds)
    {
        var hub = new HintedHub(50);
        var r = hub.Engine.ProcessDatagram(HintedInitiation(20, TimeSpan.FromSeconds(skewSeconds)), NewSource(3));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(1, hub.Engine.LinkHintMatches);
        Assert.Equal(0, hub.Engine.Mac1ScanTrials);
    }

    [Fact]
    public void Initiation_ClockFarOff_FallsBackToScan()
    {
        var hub = new HintedHub(50);
        var r = hub.Engine.ProcessDatagram(HintedInitiation(20, TimeSpan.FromMinutes(10)), NewSource(4));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(0, hub.Engine.LinkHintMatches);
        Assert.True(hub.Engine.Mac1ScanTrials > 0);
    }

    [Fact]
    public void Initiation_StockPeerRandomIndex_FallsBackToScan()
    {
        var hub = new HintedHub(50);
        var r = hub.Engine.ProcessDatagram(HintedInitiation(30, hint: false), NewSource(5));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(30, r.Peer!.Id);
        Assert.Equal(0, hub.Engine.LinkHintMatches);
    }

    [Fact]
    public void BeginTurn_BucketsPass_TableFollowsTheClock()
    {
        var hub = new HintedHub(20);
        long bucket = hub.Engine.LinkHintBucket;
        for (int step = 1; step <= 3; step++)
        {
            hub.Time.Advance(TimeSpan.FromSeconds(LinkHint.BucketSeconds));
            hub.Engine.BeginTurn(hub.Time.GetTimestamp());
            Assert.Equal(bucket + step, hub.Engine.LinkHintBucket);
            // A spoke whose clock agrees with the hub's new time.
            var r = hub.Engine.ProcessDatagram(HintedInitiation(10 + step, TimeSpan.FromSeconds(step * LinkHint.BucketSeconds)), NewSource(10 + step));
            Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        }
        Assert.Equal(3, hub.Engine.LinkHintMatches);
        Assert.Equal(0, hub.Engine.Mac1ScanTrials);
    }

    [Fact]
    public void RemovePeer_ItsHintNoLongerSelects()
    {
        var hub = new HintedHub(20);
        byte[] init = HintedInitiation(9);
        uint index = MessageLayout.ReadIndex(init, MessageLayout.InitSenderOffset);
        Assert.True(hub.Engine.HasHintCandidates(index));
        hub.Engine.RemovePeer(hub.Engine.FindPeer(9)!);
        Assert.False(hub.Engine.ReachesHintFastPath(init));
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        Assert.False(hub.Engine.HasHintCandidates(index));
    }

    [Fact]
    public void HintStep_MillionRandomInitiations_NoneReachesFastPath()
    {
        var hub = new HintedHub(1000);
        int seed = Environment.TickCount;
        var rng = new Random(seed);
        var junk = new byte[MessageLayout.InitiationSize];
        int candidates = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            rng.NextBytes(junk.AsSpan(4));
            MessageLayout.WriteHeader(junk, MessageType.HandshakeInitiation);
            if (hub.Engine.HasHintCandidates(MessageLayout.ReadIndex(junk, MessageLayout.InitSenderOffset))) candidates++;
            Assert.False(hub.Engine.ReachesHintFastPath(junk), $"seed {seed}, input {i}");
        }
        Assert.Equal(0, hub.Engine.LinkHintMatches);
        // 3,000 hints of 2^28 values: about 11 of a million random indices hit one and then fail mac1.
        Assert.InRange(candidates, 0, 60);
        Assert.Equal(candidates, hub.Engine.LinkHintMisses);
    }

    [Fact]
    public void HintStep_JunkWithRealHintIndex_StillRejectedByMac1()
    {
        var hub = new HintedHub(100);
        byte[] real = HintedInitiation(50);
        var forged = new byte[MessageLayout.InitiationSize];
        new Random(3).NextBytes(forged);
        MessageLayout.WriteHeader(forged, MessageType.HandshakeInitiation);
        real.AsSpan(4, 4).CopyTo(forged.AsSpan(4));   // a copied (observed) sender index, junk elsewhere
        Assert.True(hub.Engine.HasHintCandidates(MessageLayout.ReadIndex(forged, MessageLayout.InitSenderOffset)));
        Assert.False(hub.Engine.ReachesHintFastPath(forged));
        Assert.True(hub.Engine.ReachesHintFastPath(real));
    }

    [Fact]
    public void HintStep_Lookup_DoesNotAllocate()
    {
        var hub = new HintedHub(1000);
        var junk = new byte[MessageLayout.InitiationSize];
        for (int i = 0; i < 1000; i++) hub.Engine.ReachesHintFastPath(junk);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            junk[4 + (i & 3)] = (byte)i;
            hub.Engine.ReachesHintFastPath(junk);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
