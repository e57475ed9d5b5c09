using Overlay.Protocol.Messages;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Sessions;
using Overlay.Protocol.Stats;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Engine;

/// <summary>Inbound: classify a datagram, open transport data in place (wireguard-go device/receive.go).</summary>
public sealed partial class WireGuardEngine
{
    /// <summary>
    /// Handles one received UDP payload from <paramref name="source"/>, sent to our <paramref name="destination"/>
    /// (none when the socket does not report it). Transport data is decrypted in place;
    /// for <see cref="InboundKind.Data"/> the IP packet is <c>datagram[Offset..Offset+Length]</c>, trimmed to
    /// the IP header's length.
    /// </summary>
    public InboundResult ProcessDatagram(Span<byte> datagram, in UdpEndpoint source, in LocalAddress destination = default)
    {
        switch (MessageLayout.Classify(datagram))
        {
            case MessageType.TransportData: return HandleTransport(datagram, source, destination);
            case MessageType.HandshakeInitiation: return HandleInitiation(datagram, source, destination);
            case MessageType.HandshakeResponse: return HandleResponse(datagram, source, destination);
            case MessageType.CookieReply: return HandleCookieReply(datagram);
            default: return Drop(DropReason.InvalidMessage, null);
        }
    }

    private InboundResult Drop(DropReason reason, WireGuardPeer? peer)
    {
        _counters.Drop(reason);
        return InboundResult.Drop(reason, peer);
    }

    private InboundResult HandleTransport(Span<byte> message, in UdpEndpoint source, in LocalAddress destination)
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
        if (!TransportMessages.Open(message, keypair.Receive, counter, out int plaintextLength))
            return Drop(DropReason.AuthenticationFailed, peer);
        if (!keypair.Replay.Mark(counter, ProtocolTimes.RejectAfterMessages))
            return Drop(DropReason.Replay, peer);

        peer.RxBytes += message.Length;
        Roam(peer, source, destination);
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
        // The header's own length trims the zero padding (whitepaper §5.4.6). DeclaredLength is 0 when the
        // packet is not IP; an IPv4 total length under its 20-byte header or any length past the plaintext is
        // not a whole packet either.
        int length = InnerPacket.DeclaredLength(packet);
        if (length < InnerPacket.IPv4HeaderMin || length > packet.Length) return Drop(DropReason.NotIp, peer);
        return InboundResult.Data(peer, offset, length);
    }
}
