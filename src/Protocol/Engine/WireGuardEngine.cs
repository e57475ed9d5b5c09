using System.Buffers.Binary;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Sessions;
using Overlay.Protocol.Stats;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Engine;

/// <summary>
/// The WireGuard v1 device as a pure state machine (boringtun style: no sockets, threads or clock of its
/// own). The node's poll loop calls <see cref="BeginTurn"/> once per turn (one clock read), then feeds it
/// datagrams (<see cref="ProcessDatagram"/>), outbound packets (<see cref="SendPacket"/>) and timer ticks
/// (<see cref="Tick"/>, due at <see cref="NextDeadlineTimestamp"/>); everything it wants to transmit goes
/// out synchronously through <see cref="IWireGuardOutput"/>.
/// Protocol: reference/wireguard.md §1 (messages, handshake, cookies, transport) and §2 (timers, replay).
/// Inbound work is ordered cheapest first: length/type, receiver index, replay pre-check, mac1, then crypto.
/// A bad datagram never throws: it is dropped and exactly one <see cref="DropReason"/> is counted.
/// Transport packets are sealed and opened in place without allocating.
/// </summary>
public sealed class WireGuardEngine
{
    private readonly TimeProvider _time;
    private readonly Counters _counters;
    private readonly IWireGuardOutput _output;
    private readonly List<WireGuardPeer> _peers = new();
    private readonly Dictionary<int, WireGuardPeer> _byId = new();
    private readonly Dictionary<UdpEndpoint, WireGuardPeer> _byEndpoint = new();
    private readonly List<LocalIdentity> _identities = new();
    private readonly IndexTable<WireGuardPeer> _indices;
    private readonly CookieChecker _cookieChecker;
    private readonly HandshakeRateLimiter _rateLimiter;
    private readonly Action<Keypair> _retire;
    private readonly Random _jitter;
    private readonly byte[] _handshakeBuffer = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _keepaliveFrame = new byte[MessageLayout.KeepaliveSize];
    private LocalIdentity? _explicit;

    private readonly long _frequency;
    private readonly long _rekeyAfterTime, _rejectAfterTime, _rekeyTimeout, _keepaliveTimeout;
    private readonly long _zeroKeysAfter, _cookieLifetime, _initiationRate, _rekeyOnReceiveAfter;

    private long _now;
    private int _scanBudgetLeft;
    private int _scanCursor;

    public WireGuardEngine(TimeProvider time, Counters counters, IWireGuardOutput output)
        : this(time, counters, output, null)
    {
    }

    /// <param name="random">Seeded jitter and index source for deterministic tests; null in production.</param>
    internal WireGuardEngine(TimeProvider time, Counters counters, IWireGuardOutput output, Random? random)
    {
        _time = time;
        _counters = counters;
        _output = output;
        _frequency = time.TimestampFrequency;
        _rekeyAfterTime = Ticks(ProtocolTimes.RekeyAfterTime);
        _rejectAfterTime = Ticks(ProtocolTimes.RejectAfterTime);
        _rekeyTimeout = Ticks(ProtocolTimes.RekeyTimeout);
        _keepaliveTimeout = Ticks(ProtocolTimes.KeepaliveTimeout);
        _zeroKeysAfter = Ticks(ProtocolTimes.ZeroKeyMaterialAfter);
        _cookieLifetime = Ticks(ProtocolTimes.CookieRefreshTime);
        _initiationRate = Ticks(ProtocolTimes.HandshakeInitiationRate);
        _rekeyOnReceiveAfter = Ticks(ProtocolTimes.RekeyOnReceiveAfter);
        _cookieChecker = new CookieChecker(_cookieLifetime);
        _rateLimiter = new HandshakeRateLimiter(_frequency, ProtocolTimes.RateLimitPacketsPerSecond, ProtocolTimes.RateLimitBurst);
        _indices = new IndexTable<WireGuardPeer>(random is null ? null : () => (uint)random.NextInt64(1, uint.MaxValue));
        _jitter = random ?? new Random();
        _retire = RetireKeypair;
        _now = time.GetTimestamp();
        _scanBudgetLeft = Mac1ScanBudgetPerTurn;
    }

    /// <summary>Tunnel MTU used for padding (wireguard-go DefaultMTU 1420).</summary>
    public int Mtu { get; set; } = 1420;

    /// <summary>mac1 trials the identity scan may spend per loop turn (DESIGN.md §4).</summary>
    public int Mac1ScanBudgetPerTurn { get; set; } = 4096;

    /// <summary>Scan trials spent so far (metrics, tests).</summary>
    public long Mac1ScanTrials { get; private set; }

    /// <summary>Set by the node when handshake traffic is heavy: handshakes then need a valid mac2 (cookie).</summary>
    public bool UnderLoad { get; set; }

    public IReadOnlyList<WireGuardPeer> Peers => _peers;

    public long Now => _now;

    internal CookieChecker CookieChecker => _cookieChecker;

    public WireGuardPeer? FindPeer(int id) => _byId.GetValueOrDefault(id);

    /// <summary>Reads the clock once for this loop turn and refills the mac1 scan budget.</summary>
    public void BeginTurn()
    {
        _now = _time.GetTimestamp();
        _scanBudgetLeft = Mac1ScanBudgetPerTurn;
        _rateLimiter.Sweep(_now);
    }

    public void SetExplicitIdentity(LocalIdentity? identity) => _explicit = identity;

    public WireGuardPeer AddPeer(LocalIdentity local, ReadOnlySpan<byte> remoteStaticPublic, ReadOnlySpan<byte> psk,
        int id, string name, UdpEndpoint endpoint, int persistentKeepaliveSeconds)
    {
        if (_byId.ContainsKey(id)) throw new ArgumentException($"peer id {id} already exists", nameof(id));
        var peer = new WireGuardPeer(this, local, remoteStaticPublic, psk, id, name, default, persistentKeepaliveSeconds);
        _peers.Add(peer);
        _byId.Add(id, peer);
        if (local.Peers.Count == 0 && !_identities.Contains(local)) _identities.Add(local);
        local.Peers.Add(peer);
        if (!endpoint.IsNone) OnEndpointChanged(peer, endpoint);
        // Like wireguard-go on `set persistent_keepalive_interval`: the first keepalive (and so the handshake) is due at once.
        if (persistentKeepaliveSeconds > 0) peer.PersistentKeepaliveAt = _now;
        return peer;
    }

    /// <summary>Removes a peer: zeroes its keys and handshake, frees its indices, discards staged packets.</summary>
    public void RemovePeer(WireGuardPeer peer)
    {
        if (peer.Removed) return;
        peer.Removed = true;
        ClearHandshake(peer);
        peer.Keypairs.Clear(_retire);
        peer.Staged.Clear();
        _peers.Remove(peer);
        _byId.Remove(peer.Id);
        if (_byEndpoint.TryGetValue(peer.Endpoint, out var p) && ReferenceEquals(p, peer)) _byEndpoint.Remove(peer.Endpoint);
        peer.Local.Peers.Remove(peer);
        if (peer.Local.Peers.Count == 0)
        {
            _identities.Remove(peer.Local);
            // A per-link (PSK-derived) identity serves only this peer: its private key goes too.
            if (!ReferenceEquals(peer.Local, _explicit)) peer.Local.ZeroKeys();
        }
        CryptographicOperations.ZeroMemory(peer.Psk);
        CryptographicOperations.ZeroMemory(peer.StaticStatic);
    }

    internal void OnEndpointChanged(WireGuardPeer peer, UdpEndpoint endpoint)
    {
        var old = peer.Endpoint;
        if (old == endpoint) return;
        if (!old.IsNone && _byEndpoint.TryGetValue(old, out var p) && ReferenceEquals(p, peer)) _byEndpoint.Remove(old);
        peer.SetEndpointField(endpoint);
        if (!endpoint.IsNone && !peer.Removed) _byEndpoint[endpoint] = peer;
    }

    // ------------------------------------------------------------------ outbound

    /// <summary>
    /// Seals one IP packet for <paramref name="peer"/> in place and sends it. The frame is
    /// <c>[16 bytes headroom][payload][tailroom ≥ 16 + 15]</c>. Without a usable keypair the frame is copied to
    /// the peer's staged queue and a handshake is started.
    /// </summary>
    public SendResult SendPacket(WireGuardPeer peer, Span<byte> frame, int payloadLength)
    {
        if (peer.Removed)
        {
            _counters.Drop(DropReason.NoRoute);
            return SendResult.Dropped;
        }
        Keypair? keypair = peer.Keypairs.Current;
        if (!CanSend(keypair))
        {
            Stage(peer, frame, payloadLength);
            SendHandshakeInitiation(peer, isRetry: false);
            return SendResult.Staged;
        }
        if (peer.Staged.Count > 0) FlushStaged(peer);
        keypair = peer.Keypairs.Current;
        if (!CanSend(keypair))
        {
            Stage(peer, frame, payloadLength);
            return SendResult.Staged;
        }
        return SealAndSend(peer, keypair!, frame, payloadLength) ? SendResult.Sent : SendResult.Dropped;
    }

    internal bool CanSend(Keypair? keypair) =>
        keypair is not null && !keypair.IsZeroed &&
        keypair.SendCounter < ProtocolTimes.RejectAfterMessages &&
        _now - keypair.Birth < _rejectAfterTime;

    private void Stage(WireGuardPeer peer, ReadOnlySpan<byte> frame, int payloadLength)
    {
        if (!peer.Staged.Enqueue(frame, payloadLength)) _counters.Drop(DropReason.StagedQueueFull);
    }

    private bool SealAndSend(WireGuardPeer peer, Keypair keypair, Span<byte> frame, int payloadLength)
    {
        ulong counter = keypair.SendCounter;
        int length = TransportMessages.Seal(frame, payloadLength, Mtu, keypair.SendKey, keypair.RemoteIndex, counter);
        if (length < 0)
        {
            _counters.Drop(DropReason.Oversized);
            return false;
        }
        keypair.SendCounter = counter + 1;
        if (!Transmit(peer, frame[..length])) return false;
        if (payloadLength == 0) _counters.KeepalivesSent++;
        AnyAuthenticatedPacketTraversal(peer);
        AnyAuthenticatedPacketSent(peer);
        if (payloadLength > 0) DataSent(peer);
        // keepKeyFreshSending (timers.go): rekey on message count, or on age when we initiated.
        if (keypair.SendCounter > ProtocolTimes.RekeyAfterMessages ||
            (keypair.IsInitiator && _now - keypair.Birth > _rekeyAfterTime))
            SendHandshakeInitiation(peer, isRetry: false);
        return true;
    }

    private bool Transmit(WireGuardPeer peer, ReadOnlySpan<byte> datagram)
    {
        if (peer.Endpoint.IsNone)
        {
            _counters.Drop(DropReason.NoEndpoint);
            return false;
        }
        _output.Send(peer, datagram);
        peer.TxBytes += datagram.Length;
        return true;
    }

    private void FlushStaged(WireGuardPeer peer)
    {
        while (peer.Staged.Count > 0)
        {
            Keypair? keypair = peer.Keypairs.Current;
            if (!CanSend(keypair))
            {
                SendHandshakeInitiation(peer, isRetry: false);
                return;
            }
            Span<byte> frame = peer.Staged.PeekFrame(out int payloadLength);
            peer.Staged.Dequeue();
            SealAndSend(peer, keypair!, frame, payloadLength);
        }
    }

    /// <summary>
    /// Sends staged packets, else a keepalive; without a keypair starts a handshake
    /// (wireguard-go SendKeepalive). A spoke calls it at start to dial its hub.
    /// </summary>
    public void SendKeepalive(WireGuardPeer peer)
    {
        if (peer.Staged.Count > 0)
        {
            FlushStaged(peer);
            return;
        }
        Keypair? keypair = peer.Keypairs.Current;
        if (!CanSend(keypair))
        {
            SendHandshakeInitiation(peer, isRetry: false);
            return;
        }
        SealAndSend(peer, keypair!, _keepaliveFrame, 0);
    }

    private void SendHandshakeInitiation(WireGuardPeer peer, bool isRetry)
    {
        if (!isRetry) peer.HandshakeAttempts = 0;
        // A roaming peer the hub has never heard from has nowhere to send to: building and
        // retransmitting initiations (two X25519 each) would only produce no_endpoint drops.
        // Its staged packets wait for the peer's own handshake.
        if (peer.Endpoint.IsNone) return;
        // Rate limit: at most one initiation per REKEY_TIMEOUT (send.go SendHandshakeInitiation).
        if (_now - peer.LastSentHandshake < _rekeyTimeout) return;
        peer.LastSentHandshake = _now;

        ClearHandshake(peer);
        peer.HandshakeLocalIndex = _indices.NewIndex(peer);
        X25519.GeneratePrivateKey(peer.EphemeralPrivate);
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        Tai64N.Write(_time.GetUtcNow(), timestamp);
        Span<byte> message = _handshakeBuffer.AsSpan(0, MessageLayout.InitiationSize);
        if (!HandshakeMessages.CreateInitiation(message, peer.HandshakeLocalIndex, peer.EphemeralPrivate,
                peer.Local.PublicKey, peer.RemoteStatic, peer.StaticStatic, timestamp, peer.ChainingKey, peer.Hash))
        {
            ClearHandshake(peer);
            return;
        }
        peer.Cookies.AddMacs(message, _now, _cookieLifetime);
        peer.State = HandshakeState.InitiationCreated;
        if (Transmit(peer, message)) _counters.HandshakeInitiationsSent++;
        AnyAuthenticatedPacketTraversal(peer);
        AnyAuthenticatedPacketSent(peer);
        peer.RetransmitHandshakeAt = _now + _rekeyTimeout + Jitter();
    }

    private void ClearHandshake(WireGuardPeer peer)
    {
        if (peer.HandshakeLocalIndex != 0)
        {
            _indices.Remove(peer.HandshakeLocalIndex);
            peer.HandshakeLocalIndex = 0;
        }
        peer.ZeroHandshake();
    }

    private void RetireKeypair(Keypair keypair)
    {
        if (_indices.TryGet(keypair.LocalIndex, out var entry) && ReferenceEquals(entry.Keypair, keypair))
            _indices.Remove(keypair.LocalIndex);
        keypair.Zero();
    }

    // ------------------------------------------------------------------ inbound

    /// <summary>
    /// Handles one received UDP payload from <paramref name="source"/>. Transport data is decrypted in place;
    /// for <see cref="InboundKind.Data"/> the IP packet is <c>datagram[Offset..Offset+Length]</c>, trimmed to
    /// the IP header's length.
    /// </summary>
    public InboundResult ProcessDatagram(Span<byte> datagram, in UdpEndpoint source)
    {
        switch (MessageLayout.Classify(datagram))
        {
            case MessageType.TransportData: return HandleTransport(datagram, source);
            case MessageType.HandshakeInitiation: return HandleInitiation(datagram, source);
            case MessageType.HandshakeResponse: return HandleResponse(datagram, source);
            case MessageType.CookieReply: return HandleCookieReply(datagram);
            default: return Drop(DropReason.InvalidMessage, null);
        }
    }

    private InboundResult Drop(DropReason reason, WireGuardPeer? peer)
    {
        _counters.Drop(reason);
        return InboundResult.Drop(reason, peer);
    }

    private InboundResult HandleTransport(Span<byte> message, in UdpEndpoint source)
    {
        uint receiver = MessageLayout.ReadIndex(message, MessageLayout.TransportReceiverOffset);
        if (!_indices.TryGet(receiver, out var entry) || entry.Keypair is null)
            return Drop(DropReason.UnknownReceiverIndex, null);
        Keypair keypair = entry.Keypair;
        WireGuardPeer peer = entry.Peer;
        ulong counter = MessageLayout.ReadCounter(message);
        if (keypair.IsZeroed || _now - keypair.Birth >= _rejectAfterTime || counter >= ProtocolTimes.RejectAfterMessages)
            return Drop(DropReason.StaleKey, peer);
        if (!keypair.Replay.CanAccept(counter, ProtocolTimes.RejectAfterMessages))
            return Drop(DropReason.Replay, peer);
        if (!TransportMessages.Open(message, keypair.ReceiveKey, counter, out int plaintextLength))
            return Drop(DropReason.AuthenticationFailed, peer);
        if (!keypair.Replay.Mark(counter, ProtocolTimes.RejectAfterMessages))
            return Drop(DropReason.Replay, peer);

        peer.RxBytes += message.Length;
        if (peer.Endpoint != source) OnEndpointChanged(peer, source);
        if (peer.Keypairs.ReceivedWith(keypair, _retire))
        {
            HandshakeComplete(peer);
            _counters.SessionsEstablished++;
            if (peer.Staged.Count > 0) FlushStaged(peer);
        }
        // keepKeyFreshReceiving: the initiator re-handshakes once when its keypair nears REJECT_AFTER_TIME.
        if (!peer.SentLastMinuteHandshake && peer.Keypairs.Current is { IsInitiator: true } current &&
            _now - current.Birth > _rekeyOnReceiveAfter)
        {
            peer.SentLastMinuteHandshake = true;
            SendHandshakeInitiation(peer, isRetry: false);
        }
        AnyAuthenticatedPacketReceived(peer);
        AnyAuthenticatedPacketTraversal(peer);

        if (plaintextLength == 0)
        {
            _counters.KeepalivesReceived++;
            return InboundResult.Of(InboundKind.Keepalive, peer);
        }
        DataReceived(peer);

        const int offset = MessageLayout.TransportPayloadOffset;
        ReadOnlySpan<byte> packet = message.Slice(offset, plaintextLength);
        int length;
        switch (packet[0] >> 4)
        {
            case 4 when packet.Length >= 20:
                length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
                if (length < 20 || length > packet.Length) return Drop(DropReason.NotIp, peer);
                break;
            case 6 when packet.Length >= 40:
                length = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + 40;
                if (length > packet.Length) return Drop(DropReason.NotIp, peer);
                break;
            default:
                return Drop(DropReason.NotIp, peer);
        }
        return InboundResult.Data(peer, offset, length);
    }

    private InboundResult HandleInitiation(Span<byte> message, in UdpEndpoint source)
    {
        _counters.HandshakeInitiationsReceived++;
        LocalIdentity? identity = FindIdentityByMac1(message, source, out DropReason reason);
        if (identity is null) return Drop(reason, null);
        uint senderIndex = MessageLayout.ReadIndex(message, MessageLayout.InitSenderOffset);
        if (UnderLoad && !PassesLoadCheck(message, senderIndex, identity, source, out reason))
            return Drop(reason, null);

        Span<byte> ck = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        Span<byte> remoteEphemeral = stackalloc byte[32];
        Span<byte> remoteStatic = stackalloc byte[32];
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        try
        {
            if (!HandshakeMessages.ConsumeInitiationStatic(message, identity.PrivateKey, identity.PublicKey,
                    ck, h, remoteEphemeral, remoteStatic))
                return Drop(DropReason.HandshakeFailed, null);
            WireGuardPeer? peer = identity.FindPeer(remoteStatic);
            if (peer is null) return Drop(DropReason.HandshakeFailed, null);
            if (!HandshakeMessages.ConsumeInitiationTimestamp(message, peer.StaticStatic, ck, h, timestamp))
                return Drop(DropReason.HandshakeFailed, peer);
            if (!Tai64N.After(timestamp, peer.GreatestTimestamp))
                return Drop(DropReason.HandshakeReplay, peer);
            if (_now - peer.LastInitiationConsumed < _initiationRate)
                return Drop(DropReason.HandshakeFlood, peer);

            timestamp.CopyTo(peer.GreatestTimestamp);
            peer.LastInitiationConsumed = _now;
            ClearHandshake(peer);
            ck.CopyTo(peer.ChainingKey);
            h.CopyTo(peer.Hash);
            remoteEphemeral.CopyTo(peer.RemoteEphemeral);
            peer.HandshakeRemoteIndex = senderIndex;
            peer.State = HandshakeState.InitiationConsumed;
            peer.RxBytes += message.Length;
            if (peer.Endpoint != source) OnEndpointChanged(peer, source);
            AnyAuthenticatedPacketTraversal(peer);
            AnyAuthenticatedPacketReceived(peer);
            SendResponse(peer);
            return InboundResult.Of(InboundKind.HandshakeHandled, peer);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ck);
            CryptographicOperations.ZeroMemory(h);
        }
    }

    /// <summary>
    /// Finds which local identity an initiation targets by its mac1 (DESIGN.md §4): the identity of the peer at
    /// this source endpoint, then the explicit identity, then a scan of the rest metered by the per-turn budget.
    /// </summary>
    private LocalIdentity? FindIdentityByMac1(ReadOnlySpan<byte> message, in UdpEndpoint source, out DropReason reason)
    {
        LocalIdentity? first = null;
        if (_byEndpoint.TryGetValue(source, out var known))
        {
            first = known.Local;
            if (Mac1Matches(first, message)) { reason = default; return first; }
        }
        if (_explicit is not null && !ReferenceEquals(_explicit, first))
        {
            if (Mac1Matches(_explicit, message)) { reason = default; return _explicit; }
        }
        // The scan resumes where the last one ran out of budget, so with more identities than
        // one turn's budget every identity is still reached within a few turns.
        int count = _identities.Count;
        if (_scanCursor >= count) _scanCursor = 0;
        for (int n = 0; n < count; n++)
        {
            int i = _scanCursor + n;
            if (i >= count) i -= count;
            LocalIdentity candidate = _identities[i];
            if (ReferenceEquals(candidate, first) || ReferenceEquals(candidate, _explicit)) continue;
            if (_scanBudgetLeft <= 0)
            {
                _scanCursor = i;
                reason = DropReason.Mac1ScanBudget;
                return null;
            }
            _scanBudgetLeft--;
            Mac1ScanTrials++;
            if (Mac1Matches(candidate, message)) { reason = default; return candidate; }
        }
        reason = DropReason.InvalidMac1;
        return null;
    }

    private static bool Mac1Matches(LocalIdentity identity, ReadOnlySpan<byte> message)
    {
        int at = MessageLayout.Mac1Offset(message.Length);
        Span<byte> mac = stackalloc byte[16];
        Blake2s.Mac(identity.Mac1Key, message[..at], mac);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(at, 16));
    }

    /// <summary>
    /// Under load (whitepaper §5.3, kernel receive.c): without a valid mac2 answer with a cookie reply and
    /// stop; with one, pass the per-source token bucket.
    /// </summary>
    private bool PassesLoadCheck(ReadOnlySpan<byte> message, uint senderIndex, LocalIdentity identity,
        in UdpEndpoint source, out DropReason reason)
    {
        if (!_cookieChecker.CheckMac2(message, source, _now))
        {
            Span<byte> nonce = stackalloc byte[MessageLayout.CookieNonceLength];
            RandomNumberGenerator.Fill(nonce);
            Span<byte> reply = stackalloc byte[MessageLayout.CookieReplySize];
            _cookieChecker.CreateReply(message, senderIndex, identity.CookieKey, source, _now, nonce, reply);
            _output.SendTo(source, reply);
            _counters.CookieRepliesSent++;
            reason = DropReason.UnderLoad;
            return false;
        }
        if (!_rateLimiter.Allow(source, _now))
        {
            reason = DropReason.RateLimited;
            return false;
        }
        reason = default;
        return true;
    }

    private void SendResponse(WireGuardPeer peer)
    {
        peer.HandshakeLocalIndex = _indices.NewIndex(peer);
        X25519.GeneratePrivateKey(peer.EphemeralPrivate);
        Span<byte> message = _handshakeBuffer.AsSpan(0, MessageLayout.ResponseSize);
        if (!HandshakeMessages.CreateResponse(message, peer.HandshakeLocalIndex, peer.HandshakeRemoteIndex,
                peer.EphemeralPrivate, peer.RemoteEphemeral, peer.RemoteStatic, peer.Psk, peer.ChainingKey, peer.Hash))
        {
            ClearHandshake(peer);
            return;
        }
        peer.Cookies.AddMacs(message, _now, _cookieLifetime);
        BeginSession(peer, isInitiator: false, peer.HandshakeRemoteIndex);
        if (Transmit(peer, message)) _counters.HandshakeResponsesSent++;
        AnyAuthenticatedPacketTraversal(peer);
        AnyAuthenticatedPacketSent(peer);
    }

    /// <summary>Derives the keypair from the finished handshake, hands it the handshake's index and installs it.</summary>
    private void BeginSession(WireGuardPeer peer, bool isInitiator, uint remoteIndex)
    {
        Span<byte> send = stackalloc byte[32];
        Span<byte> receive = stackalloc byte[32];
        HandshakeMessages.DeriveKeys(peer.ChainingKey, isInitiator, send, receive);
        uint localIndex = peer.HandshakeLocalIndex;
        var keypair = new Keypair(send, receive, isInitiator, localIndex, remoteIndex, _now, peer);
        CryptographicOperations.ZeroMemory(send);
        CryptographicOperations.ZeroMemory(receive);
        _indices.Assign(localIndex, peer, keypair);
        peer.HandshakeLocalIndex = 0;   // the index now belongs to the keypair
        peer.ZeroHandshake();
        peer.Keypairs.Install(keypair, _retire);
        SessionDerived(peer);
    }

    private InboundResult HandleResponse(Span<byte> message, in UdpEndpoint source)
    {
        _counters.HandshakeResponsesReceived++;
        uint receiver = MessageLayout.ReadIndex(message, MessageLayout.RespReceiverOffset);
        if (!_indices.TryGet(receiver, out var entry) || entry.Keypair is not null ||
            entry.Peer.State != HandshakeState.InitiationCreated || entry.Peer.HandshakeLocalIndex != receiver)
            return Drop(DropReason.UnexpectedHandshake, null);
        WireGuardPeer peer = entry.Peer;
        if (!Mac1Matches(peer.Local, message)) return Drop(DropReason.InvalidMac1, peer);
        uint senderIndex = MessageLayout.ReadIndex(message, MessageLayout.RespSenderOffset);
        if (UnderLoad && !PassesLoadCheck(message, senderIndex, peer.Local, source, out DropReason reason))
            return Drop(reason, peer);

        Span<byte> ck = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        peer.ChainingKey.CopyTo(ck);
        peer.Hash.CopyTo(h);
        bool ok = HandshakeMessages.ConsumeResponse(message, peer.EphemeralPrivate, peer.Local.PrivateKey, peer.Psk, ck, h);
        if (ok)
        {
            ck.CopyTo(peer.ChainingKey);
            h.CopyTo(peer.Hash);
        }
        CryptographicOperations.ZeroMemory(ck);
        CryptographicOperations.ZeroMemory(h);
        if (!ok) return Drop(DropReason.HandshakeFailed, peer);

        BeginSession(peer, isInitiator: true, senderIndex);
        peer.RxBytes += message.Length;
        if (peer.Endpoint != source) OnEndpointChanged(peer, source);
        HandshakeComplete(peer);
        _counters.SessionsEstablished++;
        AnyAuthenticatedPacketTraversal(peer);
        AnyAuthenticatedPacketReceived(peer);
        // Confirm the session at once: staged data if any, else a keepalive (wireguard-go SendKeepalive).
        SendKeepalive(peer);
        return InboundResult.Of(InboundKind.HandshakeHandled, peer);
    }

    private InboundResult HandleCookieReply(ReadOnlySpan<byte> message)
    {
        _counters.CookieRepliesReceived++;
        uint receiver = MessageLayout.ReadIndex(message, MessageLayout.CookieReceiverOffset);
        if (!_indices.TryGet(receiver, out var entry) || !entry.Peer.Cookies.HasLastMac1)
            return Drop(DropReason.UnexpectedHandshake, null);
        WireGuardPeer peer = entry.Peer;
        if (!peer.Cookies.ConsumeReply(message, _now)) return Drop(DropReason.AuthenticationFailed, peer);
        peer.RxBytes += message.Length;
        return InboundResult.Of(InboundKind.CookieHandled, peer);
    }

    // ------------------------------------------------------------------ timers (reference/wireguard.md §2.3)

    /// <summary>Earliest pending timer deadline over all peers, in <see cref="TimeProvider"/> timestamp units.</summary>
    public long NextDeadlineTimestamp
    {
        get
        {
            long next = long.MaxValue;
            for (int i = 0; i < _peers.Count; i++)
            {
                var p = _peers[i];
                next = Math.Min(next, Math.Min(Math.Min(p.RetransmitHandshakeAt, p.SendKeepaliveAt),
                    Math.Min(Math.Min(p.NewHandshakeAt, p.ZeroKeyMaterialAt), p.PersistentKeepaliveAt)));
            }
            return next;
        }
    }

    /// <summary>Runs every timer that is due at the current turn's time.</summary>
    public void Tick()
    {
        long now = _now;
        for (int i = 0; i < _peers.Count; i++)
        {
            var peer = _peers[i];
            if (peer.RetransmitHandshakeAt <= now)
            {
                peer.RetransmitHandshakeAt = WireGuardPeer.Unarmed;
                RetransmitHandshakeExpired(peer);
            }
            if (peer.SendKeepaliveAt <= now)
            {
                peer.SendKeepaliveAt = WireGuardPeer.Unarmed;
                SendKeepalive(peer);
                if (peer.NeedAnotherKeepalive)
                {
                    peer.NeedAnotherKeepalive = false;
                    peer.SendKeepaliveAt = now + _keepaliveTimeout;
                }
            }
            if (peer.NewHandshakeAt <= now)
            {
                // "Stopped hearing back": data sent, nothing received for KEEPALIVE + REKEY_TIMEOUT.
                peer.NewHandshakeAt = WireGuardPeer.Unarmed;
                SendHandshakeInitiation(peer, isRetry: false);
            }
            if (peer.ZeroKeyMaterialAt <= now)
            {
                peer.ZeroKeyMaterialAt = WireGuardPeer.Unarmed;
                ZeroKeyMaterial(peer);
            }
            if (peer.PersistentKeepaliveAt <= now)
            {
                peer.PersistentKeepaliveAt = WireGuardPeer.Unarmed;
                if (peer.PersistentKeepaliveSeconds > 0) SendKeepalive(peer);
            }
        }
    }

    private void RetransmitHandshakeExpired(WireGuardPeer peer)
    {
        if (peer.HandshakeAttempts > ProtocolTimes.MaxTimerHandshakes)
        {
            // Give up (after MaxTimerHandshakes + 2 initiations, ~REKEY_ATTEMPT_TIME): drop what waited for it.
            peer.SendKeepaliveAt = WireGuardPeer.Unarmed;
            DropStaged(peer);
            if (peer.ZeroKeyMaterialAt == WireGuardPeer.Unarmed) peer.ZeroKeyMaterialAt = _now + _zeroKeysAfter;
            return;
        }
        peer.HandshakeAttempts++;
        SendHandshakeInitiation(peer, isRetry: true);
    }

    private void DropStaged(WireGuardPeer peer)
    {
        int n = peer.Staged.Clear();
        for (int i = 0; i < n; i++) _counters.Drop(DropReason.HandshakeTimeout);
    }

    private void ZeroKeyMaterial(WireGuardPeer peer)
    {
        peer.Keypairs.Clear(_retire);
        ClearHandshake(peer);
        DropStaged(peer);
    }

    private void DataSent(WireGuardPeer peer)
    {
        if (peer.NewHandshakeAt == WireGuardPeer.Unarmed)
            peer.NewHandshakeAt = _now + _keepaliveTimeout + _rekeyTimeout + Jitter();
    }

    private void DataReceived(WireGuardPeer peer)
    {
        if (peer.SendKeepaliveAt == WireGuardPeer.Unarmed) peer.SendKeepaliveAt = _now + _keepaliveTimeout;
        else peer.NeedAnotherKeepalive = true;
    }

    private static void AnyAuthenticatedPacketSent(WireGuardPeer peer) => peer.SendKeepaliveAt = WireGuardPeer.Unarmed;

    private static void AnyAuthenticatedPacketReceived(WireGuardPeer peer) => peer.NewHandshakeAt = WireGuardPeer.Unarmed;

    private void AnyAuthenticatedPacketTraversal(WireGuardPeer peer)
    {
        if (peer.PersistentKeepaliveSeconds > 0)
            peer.PersistentKeepaliveAt = _now + peer.PersistentKeepaliveSeconds * _frequency;
    }

    private void HandshakeComplete(WireGuardPeer peer)
    {
        peer.RetransmitHandshakeAt = WireGuardPeer.Unarmed;
        peer.HandshakeAttempts = 0;
        peer.SentLastMinuteHandshake = false;
        peer.LastHandshake = _time.GetUtcNow();
    }

    private void SessionDerived(WireGuardPeer peer) => peer.ZeroKeyMaterialAt = _now + _zeroKeysAfter;

    private long Jitter() => _jitter.Next(ProtocolTimes.RekeyTimeoutJitterMaxMs) * _frequency / 1000;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);
}
