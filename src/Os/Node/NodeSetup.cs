using Overlay.Protocol;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>Everything the node data path needs, derived once from a validated config.</summary>
public sealed class NodeSetup
{
    public required int LocalId { get; init; }
    public required int Mtu { get; init; }
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
