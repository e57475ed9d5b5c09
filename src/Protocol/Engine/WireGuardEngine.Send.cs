using Overlay.Protocol.Messages;
using Overlay.Protocol.Sessions;
using Overlay.Protocol.Stats;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Engine;

/// <summary>Outbound: seal in place, stage without a keypair, flush, keepalives (wireguard-go device/send.go).</summary>
public sealed partial class WireGuardEngine
{
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
        int length = TransportMessages.Seal(frame, payloadLength, Mtu, keypair.Send, keypair.RemoteIndex, counter);
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
}
