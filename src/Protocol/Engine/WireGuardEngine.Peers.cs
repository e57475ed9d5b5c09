using System.Security.Cryptography;

namespace Overlay.Protocol.Engine;

/// <summary>
/// Peers: the one index of them. Each peer lives in a dense slot (assigned at <see cref="AddPeer"/>,
/// reused after <see cref="RemovePeer"/>), so outer layers key their per-peer tables by
/// <see cref="WireGuardPeer.Slot"/>; the engine also owns the two lookups it needs (by id, by endpoint).
/// Every change to a peer goes through a method here; the peer itself is passive state.
/// </summary>
public sealed partial class WireGuardEngine
{
    private WireGuardPeer?[] _slots = new WireGuardPeer?[16];
    private readonly Stack<int> _freeSlots = new();
    private int _slotsUsed;
    private uint _nextGeneration = 1;
    private readonly List<WireGuardPeer> _peers = new();
    private readonly Dictionary<int, WireGuardPeer> _byId = new();
    private readonly Dictionary<UdpEndpoint, WireGuardPeer> _byEndpoint = new();

    /// <summary>The live peers in the order they were added (status, UAPI).</summary>
    public IReadOnlyList<WireGuardPeer> Peers => _peers;

    /// <summary>One past the highest slot ever assigned: a per-slot side table of this length covers every peer.</summary>
    public int SlotCapacity => _slotsUsed;

    public WireGuardPeer? FindPeer(int id) => _byId.GetValueOrDefault(id);

    /// <summary>The peer in <paramref name="slot"/>, or null when the slot is free.</summary>
    public WireGuardPeer? PeerInSlot(int slot) => (uint)slot < (uint)_slotsUsed ? _slots[slot] : null;

    /// <summary>Adds a peer in O(1) amortised: a free (or new) slot, the id and endpoint lookups, its identity.</summary>
    public WireGuardPeer AddPeer(LocalIdentity local, ReadOnlySpan<byte> remoteStaticPublic, ReadOnlySpan<byte> psk,
        int id, string name, UdpEndpoint endpoint, int persistentKeepaliveSeconds)
    {
        if (_byId.ContainsKey(id)) throw new ArgumentException($"peer id {id} already exists", nameof(id));
        var peer = new WireGuardPeer(local, remoteStaticPublic, psk, id, name, persistentKeepaliveSeconds);
        int slot;
        if (_freeSlots.Count > 0) slot = _freeSlots.Pop();
        else
        {
            if (_slotsUsed == _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            slot = _slotsUsed++;
        }
        peer.Slot = slot;
        peer.Generation = _nextGeneration++;
        _slots[slot] = peer;
        _peers.Add(peer);
        ReserveTimerEntries();
        _byId.Add(id, peer);
        if (local.ScanPosition < 0)
        {
            local.ScanOwner = this;
            local.ScanPosition = _identities.Count;
            _identities.Add(local);
        }
        local.Peers.Add(peer);
        if (!endpoint.IsNone) SetEndpoint(peer, endpoint);
        // Like wireguard-go on `set persistent_keepalive_interval`: the first keepalive (and so the handshake) is due at once.
        if (persistentKeepaliveSeconds > 0) Arm(peer, ref peer.PersistentKeepaliveAt, _now);
        return peer;
    }

    /// <summary>Removes a peer: zeroes its keys and handshake, frees its indices and slot, discards staged packets.</summary>
    public void RemovePeer(WireGuardPeer peer)
    {
        if (peer.Removed) return;
        peer.Removed = true;
        ClearHandshake(peer);
        peer.Keypairs.Clear(_retire);
        peer.Staged.Clear();
        _peers.Remove(peer);   // O(n), on reload only; the per-packet and per-turn paths never touch this list
        _byId.Remove(peer.Id);
        if (peer.HasLinkHint) { ZeroLinkHint(peer); _hintTableDirty = true; }
        if (_byEndpoint.TryGetValue(peer.Endpoint, out var p) && ReferenceEquals(p, peer)) _byEndpoint.Remove(peer.Endpoint);
        // Its heap entries go stale with the generation (lazy deletion, see .Timers.cs).
        _slots[peer.Slot] = null;
        _freeSlots.Push(peer.Slot);
        peer.Local.Peers.Remove(peer);
        if (peer.Local.Peers.Count == 0)
        {
            RemoveIdentity(peer.Local);
            // A per-link (PSK-derived) identity serves only this peer: its private key goes too.
            if (!ReferenceEquals(peer.Local, _explicit)) peer.Local.ZeroKeys();
        }
        CryptographicOperations.ZeroMemory(peer.Psk);
        peer.ZeroStaticStatic();
    }

    /// <summary>
    /// Sets where datagrams for <paramref name="peer"/> go (config, UAPI, endpoint memory) and keeps the endpoint
    /// lookup in step. The learned source address is forgotten, as the kernel's set_peer_endpoint does with a
    /// configured endpoint: the kernel picks the source until the peer's next authenticated datagram says otherwise.
    /// </summary>
    public void SetEndpoint(WireGuardPeer peer, UdpEndpoint endpoint)
    {
        peer.LocalSource = default;
        MoveEndpoint(peer, endpoint);
    }

    /// <summary>
    /// Roaming (WireGuard §6.5 / the kernel's wg_socket_set_peer_endpoint_from_skb): after an authenticated datagram,
    /// the peer's endpoint becomes its source and the peer's sticky source becomes the local address it was sent to,
    /// so replies leave from the address the peer dialed (a multi-address host would otherwise answer from its
    /// primary address, which the peer's NAT or firewall may drop, and which would make the peer roam).
    /// </summary>
    private void Roam(WireGuardPeer peer, in UdpEndpoint source, in LocalAddress destination)
    {
        if (peer.Endpoint != source) MoveEndpoint(peer, source);
        peer.LocalSource = destination;
    }

    /// <summary>
    /// Forgets <paramref name="peer"/>'s sticky source after the kernel refused it (the address left the host:
    /// the socket reports EINVAL, ENETUNREACH or EADDRNOTAVAIL), unless the peer learned another meanwhile. The send
    /// was already retried without it.
    /// </summary>
    public void ForgetLocalSource(WireGuardPeer peer, in LocalAddress refused)
    {
        if (peer.LocalSource == refused) peer.LocalSource = default;
    }

    private void MoveEndpoint(WireGuardPeer peer, UdpEndpoint endpoint)
    {
        var old = peer.Endpoint;
        if (old == endpoint) return;
        if (!old.IsNone && _byEndpoint.TryGetValue(old, out var p) && ReferenceEquals(p, peer)) _byEndpoint.Remove(old);
        peer.Endpoint = endpoint;
        if (!endpoint.IsNone && !peer.Removed) _byEndpoint[endpoint] = peer;
    }

    /// <summary>Sets the persistent keepalive interval in seconds (0 = off); a positive value makes a keepalive due at once.</summary>
    public void SetPersistentKeepalive(WireGuardPeer peer, int seconds)
    {
        peer.PersistentKeepaliveSeconds = seconds;
        if (seconds > 0) Arm(peer, ref peer.PersistentKeepaliveAt, _now);
        else peer.PersistentKeepaliveAt = WireGuardPeer.Unarmed;
    }

    /// <summary>Drops an identity from the mac1 scan list in O(1): the last one takes its place.</summary>
    private void RemoveIdentity(LocalIdentity identity)
    {
        int at = identity.ScanPosition;
        if (at < 0 || !ReferenceEquals(identity.ScanOwner, this)) return;
        int last = _identities.Count - 1;
        if (at != last)
        {
            LocalIdentity moved = _identities[last];
            _identities[at] = moved;
            moved.ScanPosition = at;
        }
        _identities.RemoveAt(last);
        identity.ScanPosition = -1;
        identity.ScanOwner = null;
    }
}
