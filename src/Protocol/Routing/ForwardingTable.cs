using System.Net;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Routing;

/// <summary>
/// The destination forwarding table (DESIGN.md §5): longest prefix wins, IPv4 and IPv6, and on
/// an identical prefix the entry added first wins (so local delivery, added first, beats a
/// route to the hub — Subnetra's rule, reference §2.4). Immutable once built: the control plane
/// replaces the whole table (build a new one from <see cref="Routes"/> plus changes and swap
/// the reference), so the packet loop reads it without locks.
/// <see cref="Lookup"/> allocates nothing.
/// </summary>
public sealed class ForwardingTable
{
    private readonly PrefixMap _map = new();
    private readonly List<Route> _routes;

    /// <summary>Builds a table; a prefix repeated later in <paramref name="routes"/> is ignored.</summary>
    public ForwardingTable(IEnumerable<Route> routes)
    {
        _routes = routes is ICollection<Route> c ? new List<Route>(c.Count) : [];
        foreach (var r in routes)
        {
            if (r.Target.Kind == RouteKind.NoRoute)
                throw new ArgumentException($"route {r.Destination} has no target", nameof(routes));
            if (_map.Add(r.Destination, _routes.Count)) _routes.Add(r);
        }
    }

    public static ForwardingTable Empty { get; } = new([]);

    /// <summary>The entries in insertion order (duplicates removed).</summary>
    public IReadOnlyList<Route> Routes => _routes;

    public int Count => _routes.Count;

    /// <summary>The target for a destination address of 4 or 16 bytes; <see cref="RouteTarget.NoRoute"/> when nothing matches or the length is wrong.</summary>
    public RouteTarget Lookup(ReadOnlySpan<byte> destination)
    {
        int i = _map.Lookup(destination);
        return i < 0 ? default : _routes[i].Target;
    }

    /// <summary>
    /// The table a role implies (DESIGN.md §5):
    /// hub — each peer's allowed_src → that peer, and local_tun_ip as a host route → local;
    /// spoke — local_routes (or local_tun_ip as a host route) → local, then remote_routes (or
    /// virtual_subnet) → the hub; manual — empty (rules arrive over the control socket).
    /// </summary>
    public static ForwardingTable FromConfig(OverlayConfig config) => new(RoutesFor(config));

    public static IReadOnlyList<Route> RoutesFor(OverlayConfig config)
    {
        var routes = new List<Route>();
        switch (config.Role)
        {
            case NodeRole.Hub:
                foreach (InterfaceAddress hubIp in config.LocalTunIps)
                    routes.Add(new Route(hubIp.HostRoute, RouteTarget.Local));
                foreach (var p in config.Peers)
                    foreach (IPNetwork n in p.AllowedSrc)
                        routes.Add(new Route(n, RouteTarget.ToPeer(p.Index, p.Id)));
                break;
            case NodeRole.Spoke:
                if (config.LocalRoutes.Count > 0)
                    foreach (var n in config.LocalRoutes) routes.Add(new Route(n, RouteTarget.Local));
                else
                    foreach (InterfaceAddress ip in config.LocalTunIps) routes.Add(new Route(ip.HostRoute, RouteTarget.Local));
                var hub = config.Peers[0];
                var target = RouteTarget.ToPeer(hub.Index, hub.Id);
                if (config.RemoteRoutes.Count > 0)
                    foreach (var n in config.RemoteRoutes) routes.Add(new Route(n, target));
                else
                    routes.Add(new Route(config.VirtualSubnet, target));
                break;
        }
        return routes;
    }
}
