using Overlay.Protocol.Engine;
using Overlay.Protocol.Stats;
using Overlay.Tests.Fakes;

namespace Overlay.Protocol.Tests.Engine;

/// <summary>
/// The engine's timer heap (WireGuardEngine.Timers.cs): the answer of <see cref="WireGuardEngine.NextDeadlineTimestamp"/>
/// must equal a scan of every peer's five timers, through re-arming, disarming, removal and slot reuse.
/// </summary>
public class TimerScheduleTests
{
    private static long Earliest(WireGuardPeer p) =>
        new[] { p.RetransmitHandshakeAt, p.SendKeepaliveAt, p.NewHandshakeAt, p.ZeroKeyMaterialAt, p.PersistentKeepaliveAt }.Min();

    private static long Scan(WireGuardEngine e) => e.Peers.Count == 0 ? long.MaxValue : e.Peers.Min(Earliest);

    private sealed class Sink : IWireGuardOutput
    {
        public int Sent;
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) => Sent++;
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) => Sent++;
    }

    private static UdpEndpoint Endpoint(int i) => new([198, 18, (byte)(i >> 8), (byte)i], 51820);

    private static (WireGuardEngine Engine, Sink Sink, ManualTimeProvider Time) Engine()
    {
        var time = new ManualTimeProvider();
        var sink = new Sink();
        return (new WireGuardEngine(time, new Counters(), sink, null, new Random(3)), sink, time);
    }

    private static WireGuardPeer Add(WireGuardEngine e, int id, UdpEndpoint endpoint, int keepalive) =>
        e.AddPeer(LocalIdentity.Generate(), LocalIdentity.Generate().PublicKey, new byte[32], id, $"p{id}", endpoint, keepalive);

    [Fact]
    public void NextDeadline_ThroughSessionLifecycle_EqualsScanOfAllTimers()
    {
        var net = new TwoEngineNetwork(keepaliveA: 25);
        var frame = new byte[2048];
        Assert.Equal(Scan(net.A), net.A.NextDeadlineTimestamp);
        for (int i = 0; i < 400; i++)
        {
            if (i % 7 == 0) net.SendAToB(frame, 40, (uint)i);
            if (i % 11 == 0) net.SendBToA(frame, 40, (uint)i);
            net.DropBToA = i is > 100 and < 160;   // a stretch without answers: retransmits, new handshakes
            net.Step(TimeSpan.FromMilliseconds(1700));
            Assert.Equal(Scan(net.A), net.A.NextDeadlineTimestamp);
            Assert.Equal(Scan(net.B), net.B.NextDeadlineTimestamp);
            Assert.True(net.A.TimerEntries <= 2 * net.A.Peers.Count + 64);
        }
    }

    /// <summary>
    /// Data both ways within one clock tick, with the deadline read once per turn as the poll loop does: every
    /// keepalive armed and disarmed again leaves a stale entry, and each new-handshake deadline carries fresh
    /// jitter, so stale entries pile up below the top without a Tick to drop them. The heap must stay within its
    /// bound and its array within what <see cref="WireGuardEngine.AddPeer"/> sized it to: growing it on the packet
    /// path allocated 536 bytes (a TimerEntry[32]) at a random packet and made the sticky-source allocation guard
    /// flaky.
    /// </summary>
    [Fact]
    public void NextDeadline_ManyDeadlineMovesWithoutTick_EntriesBoundedAndNothingAllocated()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        int most = 0;
        uint n = 0;
        void Round()
        {
            net.SendAToB(frame, 100, n);
            net.SendBToA(frame, 100, n++);
            _ = net.A.NextDeadlineTimestamp;
            _ = net.B.NextDeadlineTimestamp;
            most = Math.Max(most, Math.Max(net.A.TimerEntries, net.B.TimerEntries));
        }

        long allocated = AllocationProbe.SteadyStateBytes(Round, warmUp: 10, rounds: 20_000, attempts: 1);

        Assert.Equal(0, allocated);
        Assert.InRange(most, 1, 2 * 1 + 64);
        Assert.Equal(Scan(net.A), net.A.NextDeadlineTimestamp);
        Assert.Equal(Scan(net.B), net.B.NextDeadlineTimestamp);
    }

    [Fact]
    public void NextDeadline_TimerArmedEarlier_NewDeadlineWins()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        net.Time.Advance(TimeSpan.FromSeconds(1));
        long before = net.B.NextDeadlineTimestamp;
        var frame = new byte[2048];

        net.SendAToB(frame, 40, 7);   // B received data: its keepalive is due in KEEPALIVE_TIMEOUT

        long keepalive = net.Time.GetTimestamp() + 10 * net.Time.TimestampFrequency;
        Assert.Equal(keepalive, net.PeerAtB.SendKeepaliveAt);
        Assert.True(keepalive < before);
        Assert.Equal(keepalive, net.B.NextDeadlineTimestamp);
    }

    [Fact]
    public void NextDeadline_TimerDisarmed_StaleEntrySkippedAndLaterDeadlineReported()
    {
        var (e, _, time) = Engine();
        WireGuardPeer p = Add(e, 1, default, 25);   // keepalive due at once
        Add(e, 2, default, 0);
        Assert.Equal(time.GetTimestamp(), e.NextDeadlineTimestamp);

        e.SetPersistentKeepalive(p, 0);

        Assert.Equal(long.MaxValue, e.NextDeadlineTimestamp);
        Assert.Equal(0, e.TimerEntries);   // the stale entry was discarded on the way
    }

    [Fact]
    public void Tick_NothingDue_SendsNothingAndKeepsDeadline()
    {
        var (e, sink, time) = Engine();
        for (int i = 0; i < 1000; i++) Add(e, i, Endpoint(i), 25);
        e.BeginTurn(time.GetTimestamp());
        e.Tick();   // every peer's first keepalive: 1000 initiations, retransmits armed ~5 s out
        Assert.Equal(1000, sink.Sent);
        long next = e.NextDeadlineTimestamp;
        int entries = e.TimerEntries;

        time.Advance(TimeSpan.FromSeconds(1));
        e.BeginTurn(time.GetTimestamp());
        e.Tick();

        Assert.Equal(1000, sink.Sent);
        Assert.Equal(next, e.NextDeadlineTimestamp);
        Assert.Equal(entries, e.TimerEntries);
        Assert.Equal(Scan(e), next);
    }

    [Fact]
    public void Tick_PeerRemovedAndSlotReused_OldPeersTimersNeverFireForTheNewPeer()
    {
        var (e, sink, time) = Engine();
        WireGuardPeer old = Add(e, 1, Endpoint(1), 25);
        e.Tick();
        Assert.Equal(1, sink.Sent);
        Assert.NotEqual(long.MaxValue, e.NextDeadlineTimestamp);

        e.RemovePeer(old);
        WireGuardPeer reused = Add(e, 2, Endpoint(2), 0);

        Assert.Equal(old.Slot, reused.Slot);
        Assert.Equal(long.MaxValue, e.NextDeadlineTimestamp);
        time.Advance(TimeSpan.FromSeconds(30));
        e.BeginTurn(time.GetTimestamp());
        e.Tick();
        Assert.Equal(1, sink.Sent);
        Assert.Same(reused, e.PeerInSlot(reused.Slot));
    }

    [Fact]
    public void Tick_TwoPeersDueAtDifferentTimes_EachFiresAtItsOwnDeadline()
    {
        var (e, sink, time) = Engine();
        WireGuardPeer a = Add(e, 1, Endpoint(1), 0);
        e.SetPersistentKeepalive(a, 25);   // due now
        time.Advance(TimeSpan.FromSeconds(2));
        e.BeginTurn(time.GetTimestamp());
        WireGuardPeer b = Add(e, 2, Endpoint(2), 25);   // due now, 2 s after a's

        Assert.Equal(a.PersistentKeepaliveAt, e.NextDeadlineTimestamp);
        e.Tick();
        Assert.Equal(2, sink.Sent);
        Assert.Equal(Scan(e), e.NextDeadlineTimestamp);
    }

    [Fact]
    public void AddPeer_AfterRemovals_SlotsReusedAndLookupsConsistent()
    {
        var (e, _, _) = Engine();
        var peers = Enumerable.Range(0, 10).Select(i => Add(e, i, Endpoint(i), 0)).ToArray();
        e.RemovePeer(peers[3]);
        e.RemovePeer(peers[7]);

        WireGuardPeer x = Add(e, 20, Endpoint(20), 0);
        WireGuardPeer y = Add(e, 21, Endpoint(21), 0);

        Assert.Equal(new[] { 3, 7 }.Order(), new[] { x.Slot, y.Slot }.Order());
        Assert.Equal(10, e.SlotCapacity);
        Assert.Null(e.FindPeer(3));
        Assert.Same(x, e.FindPeer(20));
        Assert.Equal(10, e.Peers.Count);
    }
}
