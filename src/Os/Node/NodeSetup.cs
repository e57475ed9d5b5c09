using Overlay.Protocol;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>Everything the node data path needs, derived once from a validated config.</summary>
public sealed class NodeSetup
{
    public required int LocalId { get; init; }
    /// <summary>The tunnel MTU padding starts at.</summary>
    public required int Mtu { get; init; }
    /// <summary>
    /// The largest inner packet the frames hold: the JSON config's maximum MTU for subnetrad, whose
    /// peers' MTUs are bounded by the same validation; <see cref="NodeDataPath.MaxPlainPacket"/> for
    /// subnetra-wg, whose interface MTU anyone may raise with ip(8).
    /// </summary>
    public int MaxPacket { get; init; } = Overlay.Protocol.Config.OverlayConfig.MaxTunMtu;
    /// <summary>
    /// subnetra-wg: the MTU is the interface's, re-read while running (<see cref="NodeDataPath.SetMtu"/>),
    /// so tun packets are bounded by <see cref="MaxPacket"/>, not by <see cref="Mtu"/>.
    /// </summary>
    public bool FollowsInterfaceMtu { get; init; }
    public required ForwardingTable Table { get; init; }
    public LocalIdentity? ExplicitIdentity { get; init; }
    public required IReadOnlyList<NodePeerSetup> Peers { get; init; }
}

public sealed class NodePeerSetup
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required LocalIdentity Local { get; init; }
    public required byte[] RemoteStatic { get; init; }
    public required byte[] Psk { get; init; }
    public UdpEndpoint Endpoint { get; init; }
    public int PersistentKeepaliveSeconds { get; init; }
    public required AllowedSources AllowedSources { get; init; }
}
