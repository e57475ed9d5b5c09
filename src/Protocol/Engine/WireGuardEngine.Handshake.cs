using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Sessions;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Engine;

/// <summary>
/// Handshake: initiations out, initiation/response/cookie reply in, identity selection by mac1, the under-load
/// check and session derivation (wireguard-go device/noise-protocol.go; reference/wireguard.md §1).
/// </summary>
public sealed partial class WireGuardEngine
{
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
        peer.HandshakeLocalIndex = NewInitiationIndex(peer);
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
        Arm(peer, ref peer.RetransmitHandshakeAt, _now + _rekeyTimeout + Jitter());
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

    private InboundResult HandleInitiation(Span<byte> message, in UdpEndpoint source, in LocalAddress destination)
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
            Roam(peer, source, destination);
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

    private InboundResult HandleResponse(Span<byte> message, in UdpEndpoint source, in LocalAddress destination)
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
        Roam(peer, source, destination);
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
}
