using Overlay.Protocol.Stats;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Engine;

/// <summary>Timers: deadlines, Tick and the timer hooks (wireguard-go device/timers.go; reference/wireguard.md §2.3).</summary>
public sealed partial class WireGuardEngine
{
    // Armed deadlines, one live entry per peer at most: the peer's HeapDeadline. Disarming or pushing a
    // timer later leaves the entry (lazy deletion); it is dropped or corrected when it reaches the top.
    // Stale entries below the top stay until then, and within one clock tick they pile up (every keepalive
    // armed and disarmed again, every new-handshake deadline with fresh jitter), so a push at the limit
    // rebuilds the heap instead of growing it: the array is sized by AddPeer, off the packet path.
    private readonly TimerHeap _timers = new(TimerEntryLimitFor(0));

    /// <summary>Entries the heap may hold: one live entry per peer, and as many stale ones plus 64 before a rebuild.</summary>
    private static int TimerEntryLimitFor(int peers) => 2 * peers + 64;

    /// <summary>Heap entries, live and stale (tests, metrics).</summary>
    internal int TimerEntries => _timers.Count;

    /// <summary>
    /// Earliest pending timer deadline over all peers, in <see cref="TimeProvider"/> timestamp units; O(1)
    /// plus the stale entries it discards on the way (each discarded once).
    /// </summary>
    public long NextDeadlineTimestamp
    {
        get
        {
            while (_timers.TryPeek(out TimerEntry top))
            {
                WireGuardPeer? peer = LiveOwner(top);
                if (peer is null) { _timers.Pop(); continue; }
                long earliest = EarliestTimer(peer);
                if (earliest == top.Deadline) return earliest;
                // The peer's timers moved later (or were all disarmed) since this entry was pushed.
                _timers.Pop();
                peer.HeapDeadline = WireGuardPeer.Unarmed;
                Rearm(peer, earliest);
            }
            return WireGuardPeer.Unarmed;
        }
    }

    /// <summary>Runs every timer that is due at the current turn's time: O(expired entries · log n), not O(peers).</summary>
    public void Tick()
    {
        long now = _now;
        while (_timers.TryPeek(out TimerEntry top) && top.Deadline <= now)
        {
            _timers.Pop();
            WireGuardPeer? peer = LiveOwner(top);
            if (peer is null) continue;
            peer.HeapDeadline = WireGuardPeer.Unarmed;
            RunDueTimers(peer, now);
            if (!peer.Removed) Rearm(peer, EarliestTimer(peer));
        }
        if (_timers.Count > TimerEntryLimitFor(_peers.Count)) RebuildTimers();   // peers were removed
    }

    private void RunDueTimers(WireGuardPeer peer, long now)
    {
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
                Arm(peer, ref peer.SendKeepaliveAt, now + _keepaliveTimeout);
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

    /// <summary>Sets one of <paramref name="peer"/>'s timers and, when it is now the peer's earliest, pushes it.</summary>
    private void Arm(WireGuardPeer peer, ref long timer, long at)
    {
        timer = at;
        if (at < peer.HeapDeadline && !peer.Removed) PushDeadline(peer, at);
    }

    private void Rearm(WireGuardPeer peer, long earliest)
    {
        if (earliest == WireGuardPeer.Unarmed || earliest >= peer.HeapDeadline) return;
        PushDeadline(peer, earliest);
    }

    /// <summary>
    /// Makes <paramref name="at"/> the peer's live heap entry. At the limit the stale entries go first (O(peers),
    /// at most once per peers + 64 pushes), so the heap never outgrows the array AddPeer sized: no allocation here.
    /// </summary>
    private void PushDeadline(WireGuardPeer peer, long at)
    {
        if (_timers.Count >= TimerEntryLimitFor(_peers.Count))
        {
            RebuildTimers();
            // The rebuild pushed the peer's earliest timer, which already counts the one being armed.
            if (at >= peer.HeapDeadline) return;
        }
        peer.HeapDeadline = at;
        _timers.Push(new TimerEntry(at, peer.Slot, peer.Generation));
    }

    /// <summary>Sizes the heap for the current peer count (AddPeer: the control path allocates, the packet path never does).</summary>
    private void ReserveTimerEntries() => _timers.EnsureCapacity(TimerEntryLimitFor(_peers.Count));

    /// <summary>The peer an entry belongs to when the entry is still that peer's live one; null when stale.</summary>
    private WireGuardPeer? LiveOwner(in TimerEntry entry)
    {
        WireGuardPeer? peer = _slots[entry.Slot];
        if (peer is null || peer.Generation != entry.Generation || peer.HeapDeadline != entry.Deadline) return null;
        return peer;
    }

    private static long EarliestTimer(WireGuardPeer p) =>
        Math.Min(Math.Min(Math.Min(p.RetransmitHandshakeAt, p.SendKeepaliveAt),
            Math.Min(p.NewHandshakeAt, p.ZeroKeyMaterialAt)), p.PersistentKeepaliveAt);

    /// <summary>Drops every stale entry when they outnumber the peers (amortised O(1) per push).</summary>
    private void RebuildTimers()
    {
        _timers.Clear();
        foreach (WireGuardPeer peer in _peers)
        {
            long earliest = EarliestTimer(peer);
            peer.HeapDeadline = earliest;
            if (earliest != WireGuardPeer.Unarmed) _timers.Push(new TimerEntry(earliest, peer.Slot, peer.Generation));
        }
    }

    private void RetransmitHandshakeExpired(WireGuardPeer peer)
    {
        if (peer.HandshakeAttempts > ProtocolTimes.MaxTimerHandshakes)
        {
            // Give up (after MaxTimerHandshakes + 2 initiations, ~REKEY_ATTEMPT_TIME): drop what waited for it.
            peer.SendKeepaliveAt = WireGuardPeer.Unarmed;
            DropStaged(peer);
            if (peer.ZeroKeyMaterialAt == WireGuardPeer.Unarmed) Arm(peer, ref peer.ZeroKeyMaterialAt, _now + _zeroKeysAfter);
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
            Arm(peer, ref peer.NewHandshakeAt, _now + _keepaliveTimeout + _rekeyTimeout + Jitter());
    }

    private void DataReceived(WireGuardPeer peer)
    {
        if (peer.SendKeepaliveAt == WireGuardPeer.Unarmed) Arm(peer, ref peer.SendKeepaliveAt, _now + _keepaliveTimeout);
        else peer.NeedAnotherKeepalive = true;
    }

    private static void AnyAuthenticatedPacketSent(WireGuardPeer peer) => peer.SendKeepaliveAt = WireGuardPeer.Unarmed;

    private static void AnyAuthenticatedPacketReceived(WireGuardPeer peer) => peer.NewHandshakeAt = WireGuardPeer.Unarmed;

    private void AnyAuthenticatedPacketTraversal(WireGuardPeer peer)
    {
        if (peer.PersistentKeepaliveSeconds > 0)
            Arm(peer, ref peer.PersistentKeepaliveAt, _now + peer.PersistentKeepaliveSeconds * _frequency);
    }

    private void HandshakeComplete(WireGuardPeer peer)
    {
        peer.RetransmitHandshakeAt = WireGuardPeer.Unarmed;
        peer.HandshakeAttempts = 0;
        peer.SentLastMinuteHandshake = false;
        peer.LastHandshake = _time.GetUtcNow();
    }

    private void SessionDerived(WireGuardPeer peer) => Arm(peer, ref peer.ZeroKeyMaterialAt, _now + _zeroKeysAfter);

    private long Jitter() => _jitter.Next(ProtocolTimes.RekeyTimeoutJitterMaxMs) * _frequency / 1000;
}
