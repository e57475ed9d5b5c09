namespace Overlay.Protocol.Routing;

/// <summary>What a forwarding-table entry does with a packet.</summary>
public enum RouteKind : byte
{
    /// <summary>No entry matched: drop and count <c>no_route</c>.</summary>
    NoRoute = 0,
    /// <summary>Deliver to this node's tun (Subnetra's target 0).</summary>
    Local = 1,
    /// <summary>Encrypt and send to a peer.</summary>
    Peer = 2,
    /// <summary>An explicit drop rule: drop and count <c>policy_drop</c>.</summary>
    Drop = 3,
}

/// <summary>
/// A forwarding decision: the kind, and for <see cref="RouteKind.Peer"/> the peer's index in
/// the config's peers[] (what the engine indexes its peer array by) and its id.
/// </summary>
public readonly record struct RouteTarget(RouteKind Kind, int PeerIndex, ushort PeerId)
{
    public static RouteTarget NoRoute => default;
    public static RouteTarget Local => new(RouteKind.Local, -1, 0);
    public static RouteTarget Drop => new(RouteKind.Drop, -1, 0);
    public static RouteTarget ToPeer(int peerIndex, ushort peerId) => new(RouteKind.Peer, peerIndex, peerId);

    public override string ToString() => Kind switch
    {
        RouteKind.Local => "local",
        RouteKind.Peer => $"peer {PeerId}",
        RouteKind.Drop => "drop",
        _ => "no route",
    };
}

/// <summary>One forwarding-table entry: destination prefix and target.</summary>
public readonly record struct Route(System.Net.IPNetwork Destination, RouteTarget Target)
{
    public override string ToString() => $"{Destination} -> {Target}";
}
