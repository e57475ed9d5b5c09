using Overlay.Tests.Fakes;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Tests.Engine;

/// <summary>
/// A hub with 1,000 PSK-identity links (DESIGN.md §4): one derived local identity per link. An initiation is
/// matched to its identity by mac1 (endpoint hint, explicit key, then a budgeted scan).
/// </summary>
public class ResponderSelectionTests
{
    private const int Links = 1000;
    private const uint HubId = 0;

    private sealed class Recorder : IWireGuardOutput
    {
        public readonly List<byte[]> Sent = new();
        public int CookieReplies;
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) => Sent.Add(datagram.ToArray());
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) => CookieReplies++;
    }

    private static byte[] LinkPsk(int spoke) => Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + spoke)).ToArray();

    private sealed class Hub
    {
        public readonly ManualTimeProvider Time = new();
        public readonly Counters Counters = new();
        public readonly Recorder Output = new();
        public readonly WireGuardEngine Engine;

        public Hub(WireGuardEngineOptions? options = null)
        {
            Engine = new WireGuardEngine(Time, Counters, Output, options);
            Span<byte> priv = stackalloc byte[32];
            Span<byte> spokePub = stackalloc byte[32];
            for (int spoke = 1; spoke <= Links; spoke++)
            {
                byte[] psk = LinkPsk(spoke);
                PskIdentity.DeriveStaticPrivate(psk, HubId, (uint)spoke, priv);
                PskIdentity.DeriveStaticPublic(psk, (uint)spoke, HubId, spokePub);
                Engine.AddPeer(new LocalIdentity(priv), spokePub, psk, spoke, $"spoke{spoke}", default, 0);
            }
            Engine.BeginTurn(Time.GetTimestamp());
        }
    }

    /// <summary>A spoke engine for link <paramref name="spoke"/>; returns the initiation it sends to the hub.</summary>
    private static byte[] SpokeInitiation(int spoke, ManualTimeProvider time)
    {
        var output = new Recorder();
        var engine = new WireGuardEngine(time, new Counters(), output);
        byte[] psk = LinkPsk(spoke);
        var priv = new byte[32];
        var hubPub = new byte[32];
        PskIdentity.DeriveStaticPrivate(psk, (uint)spoke, HubId, priv);
        PskIdentity.DeriveStaticPublic(psk, HubId, (uint)spoke, hubPub);
        var peer = engine.AddPeer(new LocalIdentity(priv), hubPub, psk, 0, "hub", new UdpEndpoint([198, 18, 0, 1], 51820), 0);
        engine.BeginTurn(time.GetTimestamp());
        var frame = new byte[128];
        frame[16] = 0x45;
        frame[19] = 20;
        Assert.Equal(SendResult.Staged, engine.SendPacket(peer, frame, 20));
        Assert.Single(output.Sent);
        return output.Sent[0];
    }

    [Fact]
    public void Initiation_LastOfThousandLinks_FoundByScanAndAnswered()
    {
        var hub = new Hub();
        byte[] init = SpokeInitiation(Links, hub.Time);
        var source = new UdpEndpoint([198, 18, 3, 232], 40000);
        var r = hub.Engine.ProcessDatagram(init, source);
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(Links, r.Peer!.Id);
        Assert.Equal(Links, hub.Engine.Mac1ScanTrials);      // all 999 others tried first, in order
        Assert.Equal(source, r.Peer.Endpoint);
        Assert.Single(hub.Output.Sent);
        Assert.Equal(MessageLayout.ResponseSize, hub.Output.Sent[0].Length);

        // The next initiation from the same source is matched by the endpoint hint: no scan at all.
        hub.Time.Advance(TimeSpan.FromSeconds(6));
        byte[] again = SpokeInitiation(Links, hub.Time);
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        Assert.Equal(InboundKind.HandshakeHandled, hub.Engine.ProcessDatagram(again, source).Kind);
        Assert.Equal(Links, hub.Engine.Mac1ScanTrials);
    }

    /// <summary>Regression (review): a peer never heard from (no endpoint) gets no initiation, so no X25519 work and no retransmits.</summary>
    [Fact]
    public void SendPacket_PeerWithoutEndpoint_StagesWithoutInitiating()
    {
        var hub = new Hub();
        WireGuardPeer peer = hub.Engine.FindPeer(7)!;
        var frame = new byte[128];
        frame[16] = 0x45;
        frame[19] = 20;

        Assert.Equal(SendResult.Staged, hub.Engine.SendPacket(peer, frame, 20));
        hub.Time.Advance(TimeSpan.FromSeconds(30));
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        hub.Engine.Tick();

        Assert.Empty(hub.Output.Sent);
        Assert.Equal(0, hub.Counters.HandshakeInitiationsSent);
        Assert.Equal(1, peer.StagedCount);
    }

    /// <summary>Regression (review): with more identities than one turn's budget, the scan must resume, not restart at 0.</summary>
    [Fact]
    public void Initiation_MoreLinksThanBudget_ScanResumesAcrossTurnsUntilFound()
    {
        // One source may use the whole (small) budget here.
        var hub = new Hub(new WireGuardEngineOptions { Mac1ScanBudgetPerTurn = 300, Mac1ScanSourceShare = 300 });
        byte[] init = SpokeInitiation(Links, hub.Time);
        var source = new UdpEndpoint([198, 18, 3, 232], 40000);

        for (int turn = 1; turn <= 3; turn++)
        {
            hub.Engine.BeginTurn(hub.Time.GetTimestamp());
            Assert.Equal(DropReason.Mac1ScanBudget, hub.Engine.ProcessDatagram(init, source).Reason);
            Assert.Equal(300 * turn, hub.Engine.Mac1ScanTrials);
        }
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        var r = hub.Engine.ProcessDatagram(init, source);

        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(Links, r.Peer!.Id);
        Assert.Equal(Links, hub.Engine.Mac1ScanTrials); // every identity tried exactly once over four turns
    }

    private static byte[] Junk(Random rng)
    {
        var junk = new byte[MessageLayout.InitiationSize];
        rng.NextBytes(junk);
        MessageLayout.WriteHeader(junk, MessageType.HandshakeInitiation);
        return junk;
    }

    [Fact]
    public void Initiation_JunkFromOneSource_CostsAtMostItsShareAndOthersStillScan()
    {
        var hub = new Hub();
        var rng = new Random(5);
        var flooder = new UdpEndpoint([198, 19, 0, 9], 1234);

        // Default budget 4096, share 1024 per source: the first junk scans all 1,000 identities, the second
        // runs out of this source's share after 24, the third is rationed at once.
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        Assert.Equal(DropReason.InvalidMac1, hub.Engine.ProcessDatagram(Junk(rng), flooder).Reason);
        Assert.Equal(DropReason.Mac1ScanRationed, hub.Engine.ProcessDatagram(Junk(rng), flooder).Reason);
        Assert.Equal(DropReason.Mac1ScanRationed, hub.Engine.ProcessDatagram(Junk(rng), new UdpEndpoint([198, 19, 0, 9], 999)).Reason);
        Assert.Equal(1024, hub.Engine.Mac1ScanTrials);

        // A stock WireGuard spoke (random index, unknown endpoint) in the same turn still gets its scan.
        var r = hub.Engine.ProcessDatagram(SpokeInitiation(Links, hub.Time), new UdpEndpoint([198, 18, 3, 232], 40000));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(Links, r.Peer!.Id);
        Assert.Equal(2, hub.Counters.Dropped(DropReason.Mac1ScanRationed));
        Assert.Empty(hub.Output.Sent.Where(d => d.Length != MessageLayout.ResponseSize));
        Assert.Equal(0, hub.Output.CookieReplies);
    }

    [Fact]
    public void Initiation_JunkFromOneIPv6Slash64_SharesOneRation()
    {
        var hub = new Hub();
        var rng = new Random(6);
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        byte[] a = new byte[16], b = new byte[16];
        a[0] = 0x20; a[1] = 0x01; a[3] = 0x02; a[15] = 1;
        b[0] = 0x20; b[1] = 0x01; b[3] = 0x02; b[8] = 0xff; b[15] = 2;   // same /64, other host bits
        Assert.Equal(DropReason.InvalidMac1, hub.Engine.ProcessDatagram(Junk(rng), new UdpEndpoint(a, 1)).Reason);
        Assert.Equal(DropReason.Mac1ScanRationed, hub.Engine.ProcessDatagram(Junk(rng), new UdpEndpoint(b, 2)).Reason);
        Assert.Equal(1024, hub.Engine.Mac1ScanTrials);
    }

    [Fact]
    public void Initiation_SourcesSeenFlooding_GetASixteenthAndLeaveTheReserveToOthers()
    {
        // A share of 1600, so that three flagged sources could reach the reserve.
        var hub = new Hub(new WireGuardEngineOptions { Mac1ScanSourceShare = 1600 });
        var rng = new Random(7);
        UdpEndpoint Src(byte last) => new([198, 19, 1, last], 1000);

        // Turn 1: sources 1 and 2 are each rationed after 1,600 trials, which marks them as flooding for a second.
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        for (byte s = 1; s <= 2; s++)
        {
            hub.Engine.ProcessDatagram(Junk(rng), Src(s));
            Assert.Equal(DropReason.Mac1ScanRationed, hub.Engine.ProcessDatagram(Junk(rng), Src(s)).Reason);
        }
        Assert.Equal(3200, hub.Engine.Mac1ScanTrials);

        // Turn 2: a flagged source gets 1600 / 16 = 100 trials per turn.
        hub.Time.Advance(TimeSpan.FromMilliseconds(10));
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        long before = hub.Engine.Mac1ScanTrials;
        Assert.Equal(DropReason.Mac1ScanRationed, hub.Engine.ProcessDatagram(Junk(rng), Src(1)).Reason);
        Assert.Equal(100, hub.Engine.Mac1ScanTrials - before);

        // Unflagged sources spend the budget down to the reserve; flagged ones cannot go below it.
        Assert.Equal(DropReason.InvalidMac1, hub.Engine.ProcessDatagram(Junk(rng), Src(9)).Reason);   // 1,000
        Assert.Equal(DropReason.InvalidMac1, hub.Engine.ProcessDatagram(Junk(rng), Src(10)).Reason);  // 1,000
        Assert.Equal(DropReason.InvalidMac1, hub.Engine.ProcessDatagram(Junk(rng), Src(11)).Reason);  // 1,000: 996 left
        Assert.Equal(DropReason.Mac1ScanBudget, hub.Engine.ProcessDatagram(Junk(rng), Src(2)).Reason); // flagged: reserve is 1,024
        Assert.Equal(3100, hub.Engine.Mac1ScanTrials - before);

        // A stock spoke from a fresh source still gets scanned within what is left.
        hub.Time.Advance(TimeSpan.FromMilliseconds(10));
        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        var r = hub.Engine.ProcessDatagram(SpokeInitiation(Links, hub.Time), new UdpEndpoint([198, 18, 3, 232], 40000));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(Links, r.Peer!.Id);
    }

    [Fact]
    public void Initiation_ExplicitIdentity_TriedBeforeScan()
    {
        var hub = new Hub();
        // An interop peer that owns its key talks to the hub's explicit identity.
        var explicitKey = new byte[32];
        X25519.GeneratePrivateKey(explicitKey);
        var hubExplicit = new LocalIdentity(explicitKey);
        var clientKey = LocalIdentity.Generate();
        byte[] psk = LinkPsk(5000);
        hub.Engine.SetExplicitIdentity(hubExplicit);
        hub.Engine.AddPeer(hubExplicit, clientKey.PublicKey, psk, 5000, "client", default, 0);

        var output = new Recorder();
        var client = new WireGuardEngine(hub.Time, new Counters(), output);
        var peer = client.AddPeer(clientKey, hubExplicit.PublicKey, psk, 0, "hub", new UdpEndpoint([198, 18, 0, 1], 51820), 0);
        client.BeginTurn(hub.Time.GetTimestamp());
        var frame = new byte[128];
        frame[16] = 0x45;
        frame[19] = 20;
        client.SendPacket(peer, frame, 20);

        hub.Engine.BeginTurn(hub.Time.GetTimestamp());
        var r = hub.Engine.ProcessDatagram(output.Sent[0], new UdpEndpoint([198, 18, 9, 9], 5555));
        Assert.Equal(InboundKind.HandshakeHandled, r.Kind);
        Assert.Equal(5000, r.Peer!.Id);
        Assert.Equal(0, hub.Engine.Mac1ScanTrials);
    }
}
