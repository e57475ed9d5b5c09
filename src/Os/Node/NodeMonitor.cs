using Overlay.Os.Loop;
using Overlay.Protocol.Engine;

namespace Overlay.Os.Node;

/// <summary>
/// Drives the engine from the poll loop and logs session changes once per second (never
/// per packet): "session established" when a peer's last handshake moves, "session lost"
/// when a peer that had a session has none.
/// </summary>
internal sealed class NodeMonitor(NodeDataPath node, NodeLog log) : ILoopDriver
{
    private readonly Dictionary<WireGuardPeer, (DateTimeOffset? Handshake, bool Session)> _seen = new();
    private long _nextScan;

    public void BeginTurn(long now) => node.BeginTurn(now);

    public long NextDeadlineTimestamp => node.NextDeadlineTimestamp;

    public void OnTimer() => node.OnTimer();

    public void EndTurn()
    {
        node.EndTurn();
        long now = node.WireGuard.Now;
        if (now < _nextScan || !log.Enabled(LogLevel.Info)) return;
        _nextScan = now + node.Time.TimestampFrequency;
        foreach (WireGuardPeer peer in node.WireGuard.Peers)
        {
            _seen.TryGetValue(peer, out var before);
            bool session = node.WireGuard.HasSession(peer);
            if (peer.LastHandshake != before.Handshake && peer.LastHandshake is not null)
            {
                if (!before.Session)
                    log.Info($"peer {peer.Id} ({peer.Name}): session established, endpoint {peer.Endpoint}");
                else
                    log.Debug($"peer {peer.Id} ({peer.Name}): handshake completed, endpoint {peer.Endpoint}");
            }
            else if (before.Session && !session)
            {
                log.Info($"peer {peer.Id} ({peer.Name}): session lost (no handshake for {ProtocolAge(peer)})");
            }
            _seen[peer] = (peer.LastHandshake, session);
        }
        // A reload removed or replaced peers: forget them.
        if (_seen.Count > node.WireGuard.Peers.Count)
        {
            var live = new HashSet<WireGuardPeer>(node.WireGuard.Peers);
            foreach (WireGuardPeer gone in _seen.Keys.Where(p => !live.Contains(p)).ToArray()) _seen.Remove(gone);
        }
    }

    private static string ProtocolAge(WireGuardPeer peer) =>
        peer.LastHandshake is { } t ? $"{(int)(DateTimeOffset.UtcNow - t).TotalSeconds}s" : "ever";
}
