using Overlay.Protocol;
using Overlay.Os.Node;

namespace Overlay.Hub;

/// <summary>
/// Hub role policy. The packet path (relay between spokes, no reflection, inner-source
/// checks) is shared in <see cref="NodeDataPath"/>; what is the hub's own is the decision
/// when it is "under load": a hub faces the internet and may be flooded with initiations,
/// each costing two X25519 operations (~60 µs). While under load, initiations without a
/// valid mac2 get a cookie reply instead (WireGuard §5.3), so a flood from spoofed sources
/// costs one BLAKE2s each.
///
/// wireguard-go calls a device under load when 128 handshakes are queued and keeps the
/// state for 1 s (device.IsUnderLoad); with one synchronous loop there is no queue, so we
/// count handshake messages instead: more than <see cref="HandshakesPerTurnLimit"/> in one
/// loop turn (a full receive burst) or <see cref="HandshakesPerSecondLimit"/> in a second.
/// Only messages the engine classified as well-formed initiations or responses with a valid
/// mac1 are counted (<see cref="Overlay.Protocol.Engine.InboundResult.IsAuthenticHandshake"/>):
/// junk whose first byte is 1 or 2 never reaches the X25519 work, so it must not force a
/// cookie round on real spokes (issue 12 item 3).
///
/// The hub also remembers where its spokes were last heard (<see cref="EndpointMemory"/>)
/// and initiates to them at start, so a hub restart does not wait for the spokes' 15 s
/// re-handshake timer.
/// </summary>
public sealed class HubPolicy : IRolePolicy
{
    public const int HandshakesPerTurnLimit = 64;
    public const int HandshakesPerSecondLimit = 256;
    /// <summary>UnderLoadAfterTime (wireguard-go device/constants.go): sticky for 1 s.</summary>
    public static readonly TimeSpan UnderLoadAfterTime = TimeSpan.FromSeconds(1);

    /// <summary>How often changed endpoints are written to the endpoint memory (at most).</summary>
    public static readonly TimeSpan EndpointSaveInterval = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly EndpointMemory? _memory;
    private readonly Action<string>? _warn;
    private readonly Dictionary<int, UdpEndpoint> _saved = new();
    private long _nextSave;
    private Task? _pendingWrite;
    private int _thisTurn;
    private int _thisSecond;
    private long _secondStart;
    private long _underLoadUntil;
    private long _now;

    public HubPolicy(TimeProvider time, EndpointMemory? memory = null, Action<string>? warn = null)
    {
        _time = time;
        _memory = memory;
        _warn = warn;
        _secondStart = time.GetTimestamp();
    }

    public string Role => "hub";

    /// <summary>Initiates to every remembered endpoint of a peer that has no configured one.</summary>
    public void OnStart(NodeDataPath node)
    {
        if (_memory is null) return;
        foreach (var (id, endpoint) in _memory.Load(_warn))
        {
            var peer = node.PeerById(id);
            if (peer is null || !peer.Endpoint.IsNone) continue;
            node.WireGuard.SetEndpoint(peer, endpoint);
            _saved[id] = endpoint;
            node.WireGuard.SendKeepalive(peer);
        }
        _nextSave = _time.GetTimestamp() + (long)(EndpointSaveInterval.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>
    /// Writes the endpoint memory if any endpoint changed. From the loop (<paramref name="inBackground"/>)
    /// only the snapshot is taken there and the file write (with fsync) runs on a worker thread, so the
    /// packet loop never waits on the disk; a write still in flight defers this one to the next interval.
    /// At shutdown the caller passes false and the write completes before it returns.
    /// </summary>
    public void SaveEndpoints(NodeDataPath node, bool inBackground = false)
    {
        if (_memory is null) return;
        if (inBackground && _pendingWrite is { IsCompleted: false }) return;
        if (!inBackground) _pendingWrite?.Wait();
        bool changed = false;
        foreach (var p in node.WireGuard.Peers)
            if (!p.Endpoint.IsNone && (!_saved.TryGetValue(p.Id, out var s) || s != p.Endpoint)) { changed = true; break; }
        if (!changed) return;
        var snapshot = EndpointMemory.Snapshot(node.WireGuard.Peers);
        foreach (var (id, ep) in snapshot) _saved[id] = ep;
        EndpointMemory memory = _memory;
        Action<string>? warn = _warn;
        if (inBackground) _pendingWrite = Task.Run(() => memory.Save(snapshot, warn));
        else memory.Save(snapshot, warn);
    }

    public void OnTurn(NodeDataPath node)
    {
        _now = node.WireGuard.Now; // the turn's one clock read
        _thisTurn = 0;
        if (_time.GetElapsedTime(_secondStart, _now) >= TimeSpan.FromSeconds(1))
        {
            _secondStart = _now;
            _thisSecond = 0;
        }
        node.WireGuard.UnderLoad = _now < _underLoadUntil;
        if (_memory is not null && _now >= _nextSave)
        {
            _nextSave = _now + (long)(EndpointSaveInterval.TotalSeconds * _time.TimestampFrequency);
            SaveEndpoints(node, inBackground: true);
        }
    }

    public void OnHandshakeMessage(NodeDataPath node)
    {
        _thisTurn++;
        _thisSecond++;
        if (_thisTurn > HandshakesPerTurnLimit || _thisSecond > HandshakesPerSecondLimit)
        {
            _underLoadUntil = _now + (long)(UnderLoadAfterTime.TotalSeconds * _time.TimestampFrequency);
            node.WireGuard.UnderLoad = true;
        }
    }
}
