using Overlay.Protocol.Engine;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Tests.Engine;

public class WireGuardEngineTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void SendPacket_NoSession_StagesHandshakesAndDeliversStagedPacket()
    {
        var net = new TwoEngineNetwork();
        var frame = new byte[2048];
        uint seen = uint.MaxValue;
        net.OnDeliver = (toA, r, d) => { if (!toA && r.Kind == InboundKind.Data) seen = TwoEngineNetwork.CheckIpv4(d.Slice(r.Offset, r.Length), 7) ? 7u : 0u; };

        Assert.Equal(SendResult.Staged, net.SendAToB(frame, 100, 7));

        Assert.Equal(7u, seen);
        Assert.Equal(1, net.SentByA(MessageType.HandshakeInitiation));
        Assert.Equal(1, net.SentByB(MessageType.HandshakeResponse));
        Assert.Equal(0, net.SentByA(MessageType.TransportData) - 1);   // the staged packet, no extra keepalive
        Assert.True(net.A.HasSession(net.PeerAtA));
        Assert.True(net.B.HasSession(net.PeerAtB));          // B's next was promoted by the first data packet
        Assert.Equal(1, net.CountersA.SessionsEstablished);
        Assert.Equal(1, net.CountersB.SessionsEstablished);
        Assert.Equal(1, net.CountersB.HandshakeInitiationsReceived);
        Assert.Equal(1, net.CountersA.HandshakeResponsesReceived);
        Assert.Equal(TwoEngineNetwork.EndpointA, net.PeerAtB.Endpoint);   // learned from the authenticated initiation
        Assert.NotNull(net.PeerAtA.LastHandshake);
        Assert.Equal(0, net.CountersA.TotalDropped + net.CountersB.TotalDropped);
        // wg show byte counters: whole messages, handshakes included. 120-byte packet pads to 128 => 160 on the wire.
        Assert.Equal(148 + 160, net.PeerAtA.TxBytes);
        Assert.Equal(148 + 160, net.PeerAtB.RxBytes);
        Assert.Equal(92, net.PeerAtB.TxBytes);
    }

    [Fact]
    public void HandshakeResponse_NothingStaged_InitiatorSendsKeepalive()
    {
        var net = new TwoEngineNetwork(keepaliveA: 25);
        // Persistent keepalive is due at once; with no session it starts a handshake, and on completion
        // A confirms the session with a keepalive.
        net.Step(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, net.SentByA(MessageType.HandshakeInitiation));
        Assert.Equal(InboundKind.Keepalive, net.LastAtB.Kind);
        Assert.Equal(1, net.CountersA.KeepalivesSent);
        Assert.Equal(1, net.CountersB.KeepalivesReceived);
        Assert.True(net.B.HasSession(net.PeerAtB));
    }

    [Fact]
    public void SendPacket_TenThousandEachWay_PayloadsIntactInOrder()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        uint expectB = 0, expectA = 0;
        int badB = 0, badA = 0;
        net.OnDeliver = (toA, r, d) =>
        {
            if (r.Kind != InboundKind.Data) return;
            var p = d.Slice(r.Offset, r.Length);
            if (toA) { if (!TwoEngineNetwork.CheckIpv4(p, expectA++)) badA++; }
            else if (!TwoEngineNetwork.CheckIpv4(p, expectB++)) badB++;
        };
        var frame = new byte[2048];
        for (uint i = 0; i < 10_000; i++)
        {
            int size = (int)(i % 1380) + 4;
            Assert.Equal(SendResult.Sent, net.SendAToB(frame, size, i));
            Assert.Equal(SendResult.Sent, net.SendBToA(frame, size, i));
        }
        Assert.Equal(10_000u, expectA);
        Assert.Equal(10_000u, expectB);
        Assert.Equal(0, badA + badB);
        Assert.Equal(0, net.CountersA.TotalDropped + net.CountersB.TotalDropped);
    }

    [Fact]
    public void Traffic_PastRekeyAfterTime_InitiatorRekeysAndNothingIsLost()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var first = net.PeerAtA.Keypairs.Current;
        var frame = new byte[2048];
        int sent = 0;
        int deliveredBefore = net.DataAtA + net.DataAtB;
        for (int t = 0; t < 400; t++)
        {
            net.Step(Second);
            net.SendAToB(frame, 64, (uint)t);
            net.SendBToA(frame, 64, (uint)t);
            sent += 2;
        }
        Assert.NotSame(first, net.PeerAtA.Keypairs.Current);
        Assert.True(net.PeerAtA.Keypairs.Current!.IsInitiator);
        Assert.True(net.SentByA(MessageType.HandshakeInitiation) >= 4);   // at ~120 s, ~240 s, ~360 s + the first
        Assert.Equal(sent, net.DataAtA + net.DataAtB - deliveredBefore);
        Assert.Equal(0, net.CountersA.TotalDropped + net.CountersB.TotalDropped);
        Assert.True(first!.IsZeroed);
    }

    [Fact]
    public void ProcessDatagram_ReplayedTransport_DroppedAsReplay()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        net.A.BeginTurn(net.Time.GetTimestamp());
        net.A.SendPacket(net.PeerAtA, frame, TwoEngineNetwork.WriteIpv4(frame, 30, 1));
        byte[] copy = net.PeekToB();
        net.Pump();
        Assert.Equal(InboundKind.Data, net.LastAtB.Kind);
        var r = net.Inject(false, copy, TwoEngineNetwork.EndpointA);
        Assert.Equal(InboundKind.Dropped, r.Kind);
        Assert.Equal(DropReason.Replay, r.Reason);
        Assert.Equal(1, net.CountersB.Dropped(DropReason.Replay));
        Assert.Equal(1, net.CountersB.TotalDropped);
    }

    [Fact]
    public void ProcessDatagram_KeypairOlderThanRejectAfterTime_DroppedAsStaleKey()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        net.A.BeginTurn(net.Time.GetTimestamp());
        net.A.SendPacket(net.PeerAtA, frame, TwoEngineNetwork.WriteIpv4(frame, 30, 1));
        byte[] held = net.TakeToB();
        net.Time.Advance(TimeSpan.FromSeconds(181));
        var r = net.Inject(false, held, TwoEngineNetwork.EndpointA);
        Assert.Equal(DropReason.StaleKey, r.Reason);
        Assert.Equal(1, net.CountersB.Dropped(DropReason.StaleKey));
        Assert.False(net.B.HasSession(net.PeerAtB));
    }

    [Fact]
    public void Handshake_WrongPsk_NoSessionAndHandshakeFailedClimbs()
    {
        var other = Enumerable.Repeat((byte)0x55, 32).ToArray();
        var net = new TwoEngineNetwork(pskAtB: other);
        var frame = new byte[2048];
        Assert.Equal(SendResult.Staged, net.SendAToB(frame, 20, 1));
        Assert.Equal(1, net.CountersA.Dropped(DropReason.HandshakeFailed));   // psk enters in msg 2
        for (int i = 0; i < 3; i++) net.Step(TimeSpan.FromSeconds(5.4));
        Assert.Equal(4, net.CountersA.Dropped(DropReason.HandshakeFailed));
        Assert.False(net.A.HasSession(net.PeerAtA));
        Assert.False(net.B.HasSession(net.PeerAtB));
        Assert.Equal(0, net.DataAtB);
    }

    [Fact]
    public void Handshake_ResponderUnderLoad_CookieReplyThenRetransmissionWithMac2Completes()
    {
        var net = new TwoEngineNetwork();
        net.B.UnderLoad = true;
        var frame = new byte[2048];
        Assert.Equal(SendResult.Staged, net.SendAToB(frame, 20, 1));
        Assert.Equal(1, net.SentByB(MessageType.CookieReply));
        Assert.Equal(1, net.CountersB.CookieRepliesSent);
        Assert.Equal(1, net.CountersB.Dropped(DropReason.UnderLoad));
        Assert.Equal(1, net.CountersA.CookieRepliesReceived);
        Assert.Equal(InboundKind.CookieHandled, net.LastAtA.Kind);
        Assert.False(net.A.HasSession(net.PeerAtA));
        Assert.Equal(0, net.SentByB(MessageType.HandshakeResponse));

        // No immediate resend: the retransmission after REKEY_TIMEOUT + jitter carries mac2.
        net.Step(TimeSpan.FromSeconds(4.9));
        Assert.Equal(1, net.SentByA(MessageType.HandshakeInitiation));
        net.Step(TimeSpan.FromSeconds(0.5));
        Assert.Equal(2, net.SentByA(MessageType.HandshakeInitiation));
        Assert.Equal(1, net.SentByB(MessageType.HandshakeResponse));
        Assert.True(net.A.HasSession(net.PeerAtA));
        Assert.Equal(1, net.DataAtB);                  // the staged packet
        Assert.Equal(1, net.CountersB.Dropped(DropReason.UnderLoad));
    }

    [Fact]
    public void Initiation_UnderLoadValidMac2OverRateLimit_DroppedRateLimited()
    {
        var net = new TwoEngineNetwork();
        net.B.UnderLoad = true;
        var frame = new byte[2048];
        net.SendAToB(frame, 20, 1);                       // cookie reply stored at A
        net.Time.Advance(TimeSpan.FromSeconds(5.4));
        net.A.BeginTurn(net.Time.GetTimestamp());
        net.A.Tick();                                     // retransmission, now with mac2
        byte[] init = net.TakeToB();
        // Eight copies at one instant from one source: the bucket (20/s, burst 5) passes five; the first is
        // consumed, the next four are stopped by the TAI64N replay check, the last three by the limiter.
        for (int k = 0; k < 8; k++) net.Inject(false, (byte[])init.Clone(), TwoEngineNetwork.EndpointA);
        Assert.Equal(1, net.CountersB.Dropped(DropReason.UnderLoad));
        Assert.Equal(4, net.CountersB.Dropped(DropReason.HandshakeReplay));
        Assert.Equal(3, net.CountersB.Dropped(DropReason.RateLimited));
        Assert.Equal(1, net.SentByB(MessageType.HandshakeResponse));
    }

    [Fact]
    public void ProcessDatagram_ReplayedInitiation_DroppedAsHandshakeReplay()
    {
        var net = new TwoEngineNetwork();
        var frame = new byte[2048];
        net.A.BeginTurn(net.Time.GetTimestamp());
        net.A.SendPacket(net.PeerAtA, frame, TwoEngineNetwork.WriteIpv4(frame, 20, 1));
        byte[] init = net.PeekToB();
        net.Pump();
        Assert.True(net.A.HasSession(net.PeerAtA));
        net.Time.Advance(TimeSpan.FromSeconds(1));
        var r = net.Inject(false, init, TwoEngineNetwork.EndpointA);
        Assert.Equal(DropReason.HandshakeReplay, r.Reason);
        Assert.Equal(1, net.CountersB.Dropped(DropReason.HandshakeReplay));
    }

    [Fact]
    public void PersistentKeepalive_Interval_KeepaliveEveryIntervalWhileIdle()
    {
        var net = new TwoEngineNetwork(keepaliveA: 25);
        net.Step(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, net.CountersA.KeepalivesSent);
        net.Step(TimeSpan.FromSeconds(24.9));
        Assert.Equal(1, net.CountersA.KeepalivesSent);
        net.Step(TimeSpan.FromSeconds(0.2));
        Assert.Equal(2, net.CountersA.KeepalivesSent);
        net.A.SetPersistentKeepalive(net.PeerAtA, 0);
        net.Step(TimeSpan.FromSeconds(60));
        Assert.Equal(2, net.CountersA.KeepalivesSent);
    }

    [Fact]
    public void Initiation_SecondWithin20Ms_DroppedAsHandshakeFlood()
    {
        var net = new TwoEngineNetwork();
        var frame = new byte[2048];
        net.SendAToB(frame, 20, 1);
        Assert.True(net.B.HasSession(net.PeerAtB));
        // A second instance of A (same key, fresh rate limit) initiates 17 ms later: a newer TAI64N granule,
        // but inside HandshakeInitationRate (20 ms).
        net.Time.Advance(TimeSpan.FromMilliseconds(17));
        var recorder = new List<byte[]>();
        var twin = new WireGuardEngine(net.Time, new Stats.Counters(), new CapturingOutput(recorder));
        var twinPeer = twin.AddPeer(net.IdentityA, net.IdentityB.PublicKey, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(),
            2, "b", TwoEngineNetwork.EndpointB, 0);
        twin.BeginTurn(net.Time.GetTimestamp());
        twin.SendPacket(twinPeer, frame, TwoEngineNetwork.WriteIpv4(frame, 20, 2));
        Assert.Equal(DropReason.HandshakeFlood, net.Inject(false, recorder[0], TwoEngineNetwork.EndpointA).Reason);
        Assert.Equal(1, net.CountersB.Dropped(DropReason.HandshakeFlood));
    }

    private sealed class CapturingOutput(List<byte[]> sink) : IWireGuardOutput
    {
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) => sink.Add(datagram.ToArray());
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) => sink.Add(datagram.ToArray());
    }

    [Fact]
    public void Responder_SendBeforeConfirmation_StagedNotSentOnNextThenFlushed()
    {
        var net = new TwoEngineNetwork();
        var frame = new byte[2048];
        net.A.BeginTurn(net.Time.GetTimestamp());
        net.A.SendPacket(net.PeerAtA, frame, TwoEngineNetwork.WriteIpv4(frame, 20, 1));
        net.Inject(false, net.TakeToB(), TwoEngineNetwork.EndpointA);    // B answers; its keypair waits in next
        Assert.NotNull(net.PeerAtB.Keypairs.Next);
        Assert.False(net.B.HasSession(net.PeerAtB));
        net.B.BeginTurn(net.Time.GetTimestamp());
        Assert.Equal(SendResult.Staged, net.B.SendPacket(net.PeerAtB, frame, TwoEngineNetwork.WriteIpv4(frame, 30, 2)));
        Assert.Equal(0, net.SentByB(MessageType.TransportData));
        net.Pump();
        Assert.True(net.B.HasSession(net.PeerAtB));
        Assert.True(net.SentByB(MessageType.TransportData) >= 1);
        Assert.Equal(1, net.DataAtA);
        Assert.Equal(1, net.DataAtB);
        Assert.Equal(0, net.PeerAtB.StagedCount);
    }

    [Fact]
    public void Retransmit_PeerUnreachable_GivesUpAfterRekeyAttemptTimeDroppingStaged()
    {
        var net = new TwoEngineNetwork();
        net.DropAToB = true;
        var frame = new byte[2048];
        for (uint i = 0; i < 3; i++) Assert.Equal(SendResult.Staged, net.SendAToB(frame, 20, i));
        Assert.Equal(1, net.SentByA(MessageType.HandshakeInitiation));   // rate limited: one per REKEY_TIMEOUT
        var tenth = TimeSpan.FromMilliseconds(100);
        for (int t = 0; t < 900; t++) net.Step(tenth);
        Assert.Equal(3, net.PeerAtA.StagedCount);
        Assert.Equal(0, net.CountersA.Dropped(DropReason.HandshakeTimeout));
        Assert.InRange(net.SentByA(MessageType.HandshakeInitiation), 17, 19);
        // 20 initiations, each waiting REKEY_TIMEOUT + up to 333 ms: given up between 100 and 107 s.
        for (int t = 0; t < 100; t++) net.Step(tenth);
        Assert.Equal(3, net.PeerAtA.StagedCount);
        for (int t = 0; t < 80; t++) net.Step(tenth);
        Assert.Equal(0, net.PeerAtA.StagedCount);
        Assert.Equal(3, net.CountersA.Dropped(DropReason.HandshakeTimeout));
        Assert.Equal(20, net.SentByA(MessageType.HandshakeInitiation));   // MAX_TIMER_HANDSHAKES + 2
        for (int t = 0; t < 60; t++) net.Step(Second);
        Assert.Equal(20, net.SentByA(MessageType.HandshakeInitiation));   // and stays quiet
    }

    [Fact]
    public void Staged_MoreThan128_OldestDroppedAsStagedQueueFull()
    {
        var net = new TwoEngineNetwork();
        net.DropAToB = true;
        var frame = new byte[2048];
        for (uint i = 0; i < 130; i++) net.SendAToB(frame, 20, i);
        Assert.Equal(128, net.PeerAtA.StagedCount);
        Assert.Equal(2, net.CountersA.Dropped(DropReason.StagedQueueFull));
    }

    [Fact]
    public void KeepaliveTimer_DataReceivedNothingSent_KeepaliveAfterTenSeconds()
    {
        var net = new TwoEngineNetwork();
        var frame = new byte[2048];
        net.SendAToB(frame, 20, 1);      // handshake + the staged packet reaches B
        Assert.Equal(1, net.DataAtB);
        Assert.Equal(0, net.CountersB.KeepalivesSent);
        net.Step(TimeSpan.FromSeconds(9.9));
        Assert.Equal(0, net.CountersB.KeepalivesSent);
        net.Step(TimeSpan.FromSeconds(0.2));
        Assert.Equal(1, net.CountersB.KeepalivesSent);
        Assert.Equal(1, net.CountersA.KeepalivesReceived);
        Assert.Equal(InboundKind.Keepalive, net.LastAtA.Kind);
        net.Step(TimeSpan.FromSeconds(30));
        Assert.Equal(1, net.CountersB.KeepalivesSent);   // nothing further received, nothing further sent
    }

    [Fact]
    public void NewHandshakeTimer_DataSentNothingReceived_InitiatesAfterFifteenSeconds()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        net.DropBToA = true;   // B's keepalives never arrive
        var frame = new byte[2048];
        net.SendAToB(frame, 20, 1);
        int before = net.SentByA(MessageType.HandshakeInitiation);
        net.Step(TimeSpan.FromSeconds(14.9));
        Assert.Equal(before, net.SentByA(MessageType.HandshakeInitiation));
        net.Step(TimeSpan.FromSeconds(0.5));
        Assert.Equal(before + 1, net.SentByA(MessageType.HandshakeInitiation));
    }

    [Fact]
    public void ZeroKeyMaterial_After540Seconds_KeysGoneAndOldIndexUnknown()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        net.B.BeginTurn(net.Time.GetTimestamp());
        net.B.SendPacket(net.PeerAtB, frame, TwoEngineNetwork.WriteIpv4(frame, 20, 9));
        net.DropBToA = true;
        net.Pump();
        net.DropBToA = false;
        var oldA = net.PeerAtA.Keypairs.Current!;
        for (int t = 0; t < 539; t++) net.Step(Second);
        Assert.NotNull(net.PeerAtA.Keypairs.Current);
        Assert.False(net.A.HasSession(net.PeerAtA));            // past REJECT_AFTER_TIME but not yet zeroed
        net.Step(TimeSpan.FromSeconds(2));
        Assert.Null(net.PeerAtA.Keypairs.Current);
        Assert.Null(net.PeerAtA.Keypairs.Previous);
        Assert.Null(net.PeerAtB.Keypairs.Current);
        Assert.True(oldA.IsZeroed);
        Assert.True(oldA.ReceiveKey.IndexOfAnyExcept((byte)0) < 0);
        Assert.False(oldA.Receive.UsesOpenSsl);   // the OpenSSL instance (a native copy of the key) is released too
        var stale = new byte[64];
        MessageLayout.WriteTransportHeader(stale, oldA.LocalIndex, 5);
        Assert.Equal(DropReason.UnknownReceiverIndex, net.Inject(true, stale, TwoEngineNetwork.EndpointB).Reason);
    }

    [Fact]
    public void Roaming_AuthenticatedFromNewSource_EndpointUpdatedJunkIgnored()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        var moved = new UdpEndpoint([198, 18, 7, 7], 40000);
        net.SourceOfA = moved;
        net.SendAToB(frame, 20, 5);
        Assert.Equal(InboundKind.Data, net.LastAtB.Kind);
        Assert.Equal(moved, net.PeerAtB.Endpoint);

        // Junk from an attacker: a transport message with a live receiver index but garbage ciphertext,
        // and a random initiation. Neither authenticates, so the endpoint stays.
        var attacker = new UdpEndpoint([198, 19, 1, 1], 666);
        net.B.BeginTurn(net.Time.GetTimestamp());
        net.B.SendPacket(net.PeerAtB, frame, TwoEngineNetwork.WriteIpv4(frame, 20, 6));
        uint bIndex = net.PeerAtA.Keypairs.Current!.RemoteIndex;
        net.Pump();
        var junk = new byte[80];
        Random.Shared.NextBytes(junk);
        MessageLayout.WriteTransportHeader(junk, bIndex, 1_000);
        Assert.Equal(DropReason.AuthenticationFailed, net.Inject(false, junk, attacker).Reason);
        var junkInit = new byte[148];
        Random.Shared.NextBytes(junkInit);
        MessageLayout.WriteHeader(junkInit, MessageType.HandshakeInitiation);
        Assert.Equal(DropReason.InvalidMac1, net.Inject(false, junkInit, attacker).Reason);
        Assert.Equal(moved, net.PeerAtB.Endpoint);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0 })]
    [InlineData(new byte[] { 9, 0, 0, 0, 1, 2, 3, 4 })]
    [InlineData(new byte[] { 4, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27 })]
    [InlineData(new byte[] { 1, 1, 0, 0 })]
    public void ProcessDatagram_Malformed_InvalidMessageNeverThrows(byte[] datagram)
    {
        var net = new TwoEngineNetwork();
        var r = net.Inject(false, datagram, TwoEngineNetwork.EndpointA);
        Assert.Equal(DropReason.InvalidMessage, r.Reason);
        Assert.Equal(1, net.CountersB.TotalDropped);
    }

    [Fact]
    public void ProcessDatagram_UnknownIndexAndUnexpectedResponse_CountedOnce()
    {
        var net = new TwoEngineNetwork();
        var transport = new byte[48];
        MessageLayout.WriteTransportHeader(transport, 12345, 0);
        Assert.Equal(DropReason.UnknownReceiverIndex, net.Inject(false, transport, TwoEngineNetwork.EndpointA).Reason);
        var response = new byte[92];
        MessageLayout.WriteHeader(response, MessageType.HandshakeResponse);
        Assert.Equal(DropReason.UnexpectedHandshake, net.Inject(false, response, TwoEngineNetwork.EndpointA).Reason);
        var cookie = new byte[64];
        MessageLayout.WriteHeader(cookie, MessageType.CookieReply);
        Assert.Equal(DropReason.UnexpectedHandshake, net.Inject(false, cookie, TwoEngineNetwork.EndpointA).Reason);
        Assert.Equal(3, net.CountersB.TotalDropped);
    }

    [Fact]
    public void RemovePeer_WithSession_KeysZeroedIndicesFreed()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var kp = net.PeerAtB.Keypairs.Current!;
        net.B.RemovePeer(net.PeerAtB);
        Assert.True(kp.IsZeroed);
        Assert.Null(net.B.FindPeer(1));
        Assert.Empty(net.B.Peers);
        var frame = new byte[2048];
        net.SendAToB(frame, 20, 3);
        Assert.Equal(DropReason.UnknownReceiverIndex, net.LastAtB.Reason);
        Assert.Equal(long.MaxValue, net.B.NextDeadlineTimestamp);
    }

    [Fact]
    public void NextDeadlineTimestamp_AfterInitiation_IsRetransmitTime()
    {
        var net = new TwoEngineNetwork();
        net.DropAToB = true;
        var frame = new byte[2048];
        net.SendAToB(frame, 20, 1);
        long delta = net.A.NextDeadlineTimestamp - net.Time.GetTimestamp();
        Assert.InRange(delta, TimeSpan.FromSeconds(5).Ticks, TimeSpan.FromMilliseconds(5333).Ticks);
    }
}
