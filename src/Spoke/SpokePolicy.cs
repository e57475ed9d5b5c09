using System.Net;
using System.Net.Sockets;
using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Protocol.Engine;
using Overlay.Protocol;

namespace Overlay.Spoke;

/// <summary>
/// Spoke role policy: a spoke has exactly one peer, its hub. It dials the hub as soon as
/// it starts (so the hub learns its NAT-mapped endpoint before any traffic flows) and keeps
/// the mapping alive with the persistent keepalive from keepalive_secs (default 25 s,
/// WireGuard's PersistentKeepalive). Rekeying follows WireGuard's timers in the engine:
/// the spoke is the usual initiator, so REKEY_AFTER_TIME applies to it.
///
/// Hub by name (issue 11 item 3): when the hub's endpoint is a host name, the spoke
/// <list type="bullet">
/// <item>starts even if the name does not resolve yet, and retries with a backoff that doubles from
/// 1 s up to <see cref="MaxRetryBackoff"/> (status shows the endpoint <c>resolving</c>);</item>
/// <item>re-resolves when an initiation stays unanswered for a full attempt (REKEY_TIMEOUT, 5 s), at
/// most every <see cref="MinReResolveInterval"/>, and moves to the new address if it changed
/// (dynamic DNS, a re-created hub VM).</item>
/// </list>
/// Lookups run on a worker thread; the answer is posted to the loop (the wake pipe), where all
/// state below lives. A reload re-resolves too (the reload builds its setup from a fresh lookup).
/// </summary>
public sealed class SpokePolicy : IRolePolicy
{
    /// <summary>The most time between two lookups of a name that does not resolve; under 30 s so the spoke connects within 30 s of the name resolving.</summary>
    public static readonly TimeSpan MaxRetryBackoff = TimeSpan.FromSeconds(25);
    public static readonly TimeSpan FirstRetryBackoff = TimeSpan.FromSeconds(1);
    /// <summary>REKEY_TIMEOUT: an initiation unanswered this long is a failed attempt; also the least time between re-resolutions.</summary>
    public static readonly TimeSpan MinReResolveInterval = TimeSpan.FromSeconds(5);
    /// <summary>A lookup that takes longer is abandoned and counted as a failure.</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private const long Unarmed = long.MaxValue;

    private readonly IHostResolver? _resolver;
    private readonly Action<Action>? _post;
    private readonly Func<PeerEndpoint?>? _hubEndpoint;
    private readonly Action<string> _info;
    private readonly Action<string> _warn;

    // Loop-thread state.
    private bool _inFlight;
    private bool _resolving;
    private long _retryAt = Unarmed;
    private TimeSpan _backoff = FirstRetryBackoff;
    private long _lastLookupAt = long.MinValue / 4;
    private long _initiationsSeen;
    private long _unansweredSince = Unarmed;
    private DateTimeOffset? _handshakeWhenUnanswered;

    /// <summary>A spoke that never re-resolves (IP-literal hubs, in-process tests).</summary>
    public SpokePolicy()
    {
        _info = _ => { };
        _warn = _ => { };
    }

    /// <param name="resolver">Looks the name up (off the loop).</param>
    /// <param name="post">Runs an action on the loop thread (NodeHost.Post: the wake pipe).</param>
    /// <param name="hubEndpoint">The hub endpoint of the config in force (read on the loop; a reload may change it).</param>
    public SpokePolicy(IHostResolver resolver, Action<Action> post, Func<PeerEndpoint?> hubEndpoint, Action<string> info, Action<string> warn)
    {
        _resolver = resolver;
        _post = post;
        _hubEndpoint = hubEndpoint;
        _info = info;
        _warn = warn;
    }

    public string Role => "spoke";

    /// <summary>A lookup is running and its answer not yet taken (loop thread).</summary>
    public bool LookupPending => _inFlight;

    /// <summary>"resolving" while the hub's name has no address yet, "resolved" once it has; null for an IP literal.</summary>
    public string? EndpointState(int peerId) => NameEndpoint() is null ? null : _resolving ? "resolving" : "resolved";

    public void OnStart(NodeDataPath node)
    {
        WireGuardPeer? hub = Hub(node);
        if (hub is null) return;
        _initiationsSeen = node.Counters.HandshakeInitiationsSent;
        if (!hub.Endpoint.IsNone)
        {
            node.WireGuard.SendKeepalive(hub);
            return;
        }
        if (NameEndpoint() is { } name && _resolver is not null)
        {
            _resolving = true;
            _warn($"hub endpoint {name} does not resolve yet; running anyway and retrying (backoff up to {MaxRetryBackoff.TotalSeconds:0} s)");
            Lookup(node, name, node.Time.GetTimestamp());
        }
    }

    public void OnTurn(NodeDataPath node)
    {
        if (_resolver is null || NameEndpoint() is not { } name) return;
        WireGuardPeer? hub = Hub(node);
        if (hub is null) return;
        long now = node.WireGuard.Now;   // the turn's clock (one read per turn, taken by the loop)
        if (hub.Endpoint.IsNone) _resolving = true;
        if (_resolving)
        {
            if (!_inFlight && now >= _retryAt) Lookup(node, name, now);
            return;
        }

        // An initiation sent: remember when, and the handshake we had then. A completed
        // handshake since answers it; none within a full attempt means the hub is not where
        // the name pointed, so look the name up again (at most every 5 s).
        long sent = node.Counters.HandshakeInitiationsSent;
        if (sent != _initiationsSeen)
        {
            _initiationsSeen = sent;
            if (_unansweredSince == Unarmed)
            {
                _unansweredSince = now;
                _handshakeWhenUnanswered = hub.LastHandshake;
            }
        }
        if (_unansweredSince == Unarmed) return;
        if (hub.LastHandshake != _handshakeWhenUnanswered)
        {
            _unansweredSince = Unarmed;
            return;
        }
        long interval = Ticks(node, MinReResolveInterval);
        if (!_inFlight && now - _unansweredSince >= interval && now - _lastLookupAt >= interval)
            Lookup(node, name, now);
    }

    public void OnHandshakeMessage(NodeDataPath node) { }

    private PeerEndpoint? NameEndpoint() => _hubEndpoint?.Invoke() is { IsLiteral: false } e ? e : null;

    private static WireGuardPeer? Hub(NodeDataPath node) =>
        node.WireGuard.Peers.Count > 0 ? node.WireGuard.Peers[0] : null;   // indexed: no enumerator per turn

    private static long Ticks(NodeDataPath node, TimeSpan t) => (long)(t.TotalSeconds * node.Time.TimestampFrequency);

    /// <summary>Starts one lookup on a worker thread; its answer comes back through the loop.</summary>
    private void Lookup(NodeDataPath node, PeerEndpoint name, long now)
    {
        _inFlight = true;
        _lastLookupAt = now;
        IHostResolver resolver = _resolver!;
        Action<Action> post = _post!;
        _ = Task.Run(async () =>
        {
            IPAddress[]? found = null;
            string? error = null;
            try
            {
                using var timeout = new CancellationTokenSource(LookupTimeout);
                found = await resolver.ResolveAsync(name.Host, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                error = e is OperationCanceledException ? $"no answer within {LookupTimeout.TotalSeconds:0} s" : e.Message;
            }
            post(() => OnLookupDone(node, name, found, error));
        });
    }

    /// <summary>On the loop: take the answer, move the hub's endpoint if it changed, or schedule the next try.</summary>
    private void OnLookupDone(NodeDataPath node, PeerEndpoint name, IPAddress[]? found, string? error)
    {
        _inFlight = false;
        if (NameEndpoint() != name) return;   // a reload changed the endpoint meanwhile; the next turn looks the new one up
        WireGuardPeer? hub = Hub(node);
        if (hub is null) return;
        long now = node.WireGuard.Now;   // posted work runs inside a turn: its clock
        IPAddress? address = found is null ? null : NodeSetupBuilder.PreferredAddress(found);
        if (address is null)
        {
            string why = error ?? "no address";
            if (hub.Endpoint.IsNone)
            {
                _warn($"hub endpoint {name} does not resolve ({why}); next try in {_backoff.TotalSeconds:0} s");
                _retryAt = now + Ticks(node, _backoff);
                _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxRetryBackoff.Ticks));
            }
            else
            {
                _warn($"re-resolving hub endpoint {name} failed ({why}); keeping {hub.Endpoint}");
            }
            return;
        }

        _backoff = FirstRetryBackoff;
        _retryAt = Unarmed;
        _resolving = false;
        UdpEndpoint next = UdpEndpoint.From(new IPEndPoint(address, name.Port));
        if (next == hub.Endpoint) return;
        _info(hub.Endpoint.IsNone
            ? $"hub endpoint {name} resolves to {next}; dialing it"
            : $"hub endpoint {name} now resolves to {next} (was {hub.Endpoint}); moving to it");
        node.WireGuard.SetEndpoint(hub, next);
        _unansweredSince = Unarmed;
        node.WireGuard.SendKeepalive(hub);
    }
}
