namespace Overlay.Os.Node;

/// <summary>
/// What a role adds to the shared packet path. The hub decides when it is under load
/// (cookie replies instead of handshakes); the spoke dials its hub at start. Both are
/// called on the loop thread only.
/// </summary>
public interface IRolePolicy
{
    string Role { get; }

    /// <summary>Once, after the node is built and before the loop runs.</summary>
    void OnStart(NodeDataPath node);

    /// <summary>At the start of every loop turn (after the clock was read).</summary>
    void OnTurn(NodeDataPath node);

    /// <summary>For every handshake datagram (types 1 and 2) before it is processed.</summary>
    void OnHandshakeMessage(NodeDataPath node);

    /// <summary>
    /// True for plain WireGuard (subnetra-wg): every decrypted packet whose source passes the
    /// sender's allowed IPs goes to the tun, as in wireguard-go; the kernel routes it on. False
    /// (hub, spoke) looks the destination up and may relay it to another peer. Read once at start.
    /// </summary>
    bool DeliversInboundToTun => false;

    /// <summary>
    /// True (hub, spoke) when every link carries a link hint (docs/link-hint.md) keyed by its PSK.
    /// Plain WireGuard (subnetra-wg) answers false: it has one static key, so nothing to select, and its
    /// peers often have no PSK at all (all zeros), which would make the hint computable by anyone and
    /// our initiations recognisable and linkable across buckets. Read once per peer added.
    /// </summary>
    bool UsesLinkHints => true;

    /// <summary>How the role is finding a peer's endpoint, for status ("resolving", "resolved"); null when there is nothing to say. Loop thread.</summary>
    string? EndpointState(int peerId) => null;
}
