using Overlay.Os.Node;

namespace Overlay.Spoke;

/// <summary>
/// Spoke role policy: a spoke has exactly one peer, its hub. It dials the hub as soon as
/// it starts (so the hub learns its NAT-mapped endpoint before any traffic flows) and keeps
/// the mapping alive with the persistent keepalive from keepalive_secs (default 25 s,
/// WireGuard's PersistentKeepalive). Rekeying follows WireGuard's timers in the engine:
/// the spoke is the usual initiator, so REKEY_AFTER_TIME applies to it.
/// </summary>
public sealed class SpokePolicy : IRolePolicy
{
    public string Role => "spoke";

    public void OnStart(NodeDataPath node)
    {
        foreach (var peer in node.WireGuard.Peers)
            node.WireGuard.SendKeepalive(peer);
    }

    public void OnTurn(NodeDataPath node) { }

    public void OnHandshakeMessage(NodeDataPath node) { }
}
