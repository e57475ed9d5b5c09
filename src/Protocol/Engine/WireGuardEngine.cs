using System.Security.Cryptography;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
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
/// Split by concern as wireguard-go splits device/: this file holds state, construction and peers;
/// .Send.cs outbound, .Receive.cs inbound transport, .Handshake.cs the handshake, .Timers.cs the timers,
/// .Responder.cs which identity an initiation targets (metered, rationed scan), .LinkHints.cs the link hint.
/// </summary>
public sealed partial class WireGuardEngine
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
        _scanKey = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>Tunnel MTU used for padding (wireguard-go DefaultMTU 1420).</summary>
    public int Mtu { get; set; } = 1420;

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
        BeginScanTurn();
        _rateLimiter.Sweep(_now);
        RefreshLinkHints();
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
        if (peer.HasLinkHint) { ZeroLinkHint(peer); _hintTableDirty = true; }
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

    private void RetireKeypair(Keypair keypair)
    {
        if (_indices.TryGet(keypair.LocalIndex, out var entry) && ReferenceEquals(entry.Keypair, keypair))
            _indices.Remove(keypair.LocalIndex);
        keypair.Zero();
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);
}
