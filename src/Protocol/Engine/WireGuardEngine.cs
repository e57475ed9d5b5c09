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
/// Split by concern as wireguard-go splits device/: this file holds state and construction; .Peers.cs the
/// peer slots and indices; .Send.cs outbound, .Receive.cs inbound transport, .Handshake.cs the handshake,
/// .Timers.cs the timers (a min-heap of deadlines, so a turn costs the timers due, not the peers),
/// .Responder.cs which identity an initiation targets (metered, rationed scan), .LinkHints.cs the link hint.
/// </summary>
public sealed partial class WireGuardEngine
{
    private readonly TimeProvider _time;
    private readonly Counters _counters;
    private readonly IWireGuardOutput _output;
    private readonly WireGuardEngineOptions _options;
    private int _mtu;
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

    public WireGuardEngine(TimeProvider time, Counters counters, IWireGuardOutput output, WireGuardEngineOptions? options = null)
        : this(time, counters, output, options, null)
    {
    }

    /// <param name="random">Seeded jitter and index source for deterministic tests; null in production.</param>
    internal WireGuardEngine(TimeProvider time, Counters counters, IWireGuardOutput output, WireGuardEngineOptions? options, Random? random)
    {
        _time = time;
        _counters = counters;
        _output = output;
        _options = options ?? WireGuardEngineOptions.Default;
        _mtu = _options.Mtu;
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
        _scanKey = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>The settings the engine was built with.</summary>
    public WireGuardEngineOptions Options => _options;

    /// <summary>
    /// Tunnel MTU used for padding: <see cref="WireGuardEngineOptions.Mtu"/> at construction, then
    /// what <see cref="SetMtu"/> last set (subnetra-wg follows the interface's MTU, as wireguard-go).
    /// </summary>
    public int Mtu => _mtu;

    /// <summary>
    /// Pads to <paramref name="mtu"/> from the next packet on (the interface's MTU changed). Called
    /// on the loop thread between packets; the caller reads the MTU, never per packet.
    /// </summary>
    public void SetMtu(int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        _mtu = mtu;
    }

    /// <summary>Set by the node when handshake traffic is heavy: handshakes then need a valid mac2 (cookie).</summary>
    public bool UnderLoad { get; set; }

    /// <summary>The current turn's time (<see cref="TimeProvider.GetTimestamp"/> units of the engine's clock).</summary>
    public long Now => _now;

    internal CookieChecker CookieChecker => _cookieChecker;

    /// <summary>
    /// Starts a loop turn at <paramref name="now"/>, the loop's one clock read for the turn (taken from the
    /// same <see cref="TimeProvider"/> the engine was built with), and refills the mac1 scan budget.
    /// </summary>
    public void BeginTurn(long now)
    {
        _now = now;
        BeginScanTurn();
        _rateLimiter.Sweep(_now);
        RefreshLinkHints();
    }

    public void SetExplicitIdentity(LocalIdentity? identity) => _explicit = identity;

    /// <summary>True when a confirmed keypair can send to <paramref name="peer"/> now.</summary>
    public bool HasSession(WireGuardPeer peer) => CanSend(peer.Keypairs.Current);

    private void RetireKeypair(Keypair keypair)
    {
        if (_indices.TryGet(keypair.LocalIndex, out var entry) && ReferenceEquals(entry.Keypair, keypair))
            _indices.Remove(keypair.LocalIndex);
        keypair.Zero();
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);
}
