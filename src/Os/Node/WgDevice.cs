using System.Net;
using System.Security.Cryptography;
using Overlay.Os.Uapi;
using Overlay.Protocol;
using Overlay.Protocol.Config;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>What a UAPI set needs from the host beyond the data path: the UDP port and its mark.</summary>
public interface IWgHostPorts
{
    /// <summary>Rebinds the UDP socket to <paramref name="port"/> (0 = random); returns the bound port. Throws <see cref="IOException"/> when the port is taken.</summary>
    int Rebind(int port);

    /// <summary>The bound port now.</summary>
    int ListenPort { get; }

    /// <summary>Sets SO_MARK on the UDP socket (Linux; a no-op where the OS has no marks, as in wireguard-go).</summary>
    void SetFwmark(uint mark);
}

/// <summary>
/// A plain WireGuard device (subnetra-wg, issue 15) over the shared <see cref="NodeDataPath"/>: one
/// explicit private key, peers named by public key and configured only through the UAPI, and
/// cryptokey routing (the paper's §2): every allowed IP belongs to exactly one peer, so adding a
/// prefix to a peer takes it from whichever peer had it, and the forwarding table (longest prefix)
/// and each peer's inbound source check are rebuilt from that one map after each set. Everything
/// runs on the loop thread (<see cref="Apply"/>, <see cref="Snapshot"/>), between packets.
/// </summary>
public sealed partial class WgDevice
{
    private readonly NodeDataPath _node;
    private readonly IWgHostPorts _ports;
    private readonly List<WgPeerEntry> _peers = [];
    // Counts peers added and removed; the source checks were built at _sourcesMembership.
    private long _membership;
    private long _sourcesMembership = -1;
    private readonly Dictionary<string, WgPeerEntry> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<IPNetwork, WgPeerEntry> _owner = [];
    private LocalIdentity _identity;
    private bool _hasKey;
    private int _nextId = 1;

    public WgDevice(NodeDataPath node, IWgHostPorts ports)
    {
        _node = node;
        _ports = ports;
        // wireguard-go lets peers exist before the device has a key; they cannot complete a
        // handshake until it does. A random placeholder keeps the engine's invariants (every
        // peer has a local identity) without reporting a key nobody set.
        _identity = LocalIdentity.Generate();
    }

    /// <summary>True once a non-zero private_key was set.</summary>
    public bool HasPrivateKey => _hasKey;

    public ReadOnlySpan<byte> PublicKey => _hasKey ? _identity.PublicKey : ReadOnlySpan<byte>.Empty;

    public uint Fwmark { get; private set; }

    public int PeerCount => _peers.Count;

    public int AllowedIpCount => _owner.Count;

    /// <summary>The engine peers in creation order (status; loop thread).</summary>
    public IEnumerable<WireGuardPeer> EnginePeers
    {
        get
        {
            foreach (WgPeerEntry p in _peers) yield return p.Engine;
        }
    }

    /// <summary>The public keys in creation order (tests, logs).</summary>
    public IEnumerable<byte[]> PeerKeys => _peers.Select(p => p.PublicKey);

    /// <summary>The engine peer for a public key, or null.</summary>
    public WireGuardPeer? FindPeer(ReadOnlySpan<byte> publicKey) =>
        _byKey.TryGetValue(Convert.ToHexStringLower(publicKey), out WgPeerEntry? e) ? e.Engine : null;

    /// <summary>The allowed IPs of a peer in the order they were added; empty for an unknown key.</summary>
    public IReadOnlyList<IPNetwork> AllowedIps(ReadOnlySpan<byte> publicKey) =>
        _byKey.TryGetValue(Convert.ToHexStringLower(publicKey), out WgPeerEntry? e) ? e.Allowed.ToArray() : [];

    private sealed class WgPeerEntry(byte[] publicKey, WireGuardPeer engine)
    {
        public byte[] PublicKey { get; } = publicKey;
        public WireGuardPeer Engine { get; set; } = engine;
        // Insertion-ordered set: get lists prefixes the way they were configured.
        public OrderedPrefixSet Allowed { get; } = new();

        // Allowed.Version and the engine when the source checks were last built (-1: never), so a
        // set that changes no allowed IPs, peer or key rebuilds no check.
        public long SourcesVersion { get; set; } = -1;
        public WireGuardPeer? SourcesEngine { get; set; }
    }

    private sealed class OrderedPrefixSet
    {
        private readonly Dictionary<IPNetwork, LinkedListNode<IPNetwork>> _index = [];
        private readonly LinkedList<IPNetwork> _order = new();

        public int Count => _index.Count;

        /// <summary>Counts changes, so a reader can tell whether the set moved since it last looked.</summary>
        public long Version { get; private set; }

        public bool Add(IPNetwork p)
        {
            if (_index.ContainsKey(p)) return false;
            _index.Add(p, _order.AddLast(p));
            Version++;
            return true;
        }

        public bool Remove(IPNetwork p)
        {
            if (!_index.Remove(p, out LinkedListNode<IPNetwork>? node)) return false;
            _order.Remove(node);
            Version++;
            return true;
        }

        public void Clear()
        {
            if (_index.Count == 0) return;
            _index.Clear();
            _order.Clear();
            Version++;
        }

        public IEnumerable<IPNetwork> Items => _order;

        public IPNetwork[] ToArray() => [.. _order];
    }

    /// <summary>Zeroes the device key (at shutdown; the engine zeroes the peers' keys as they go).</summary>
    public void ZeroKeys()
    {
        foreach (WgPeerEntry p in _peers) _node.RemovePeer(p.Engine);
        _identity.ZeroKeys();
    }

    private static void Zero(byte[]? b)
    {
        if (b is not null) CryptographicOperations.ZeroMemory(b);
    }

    private static string Hex(ReadOnlySpan<byte> key) => KeyEncoding.ToHex(key);
}
