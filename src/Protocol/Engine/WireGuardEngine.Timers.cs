using Overlay.Protocol.Stats;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Engine;

/// <summary>Timers: deadlines, Tick and the timer hooks (wireguard-go device/timers.go; reference/wireguard.md §2.3).</summary>
public sealed partial class WireGuardEngine
{
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
}
