using System.Net;

namespace Overlay.Protocol.Config;

/// <summary>Node role (DESIGN.md §5). It decides the derived forwarding table.</summary>
public enum NodeRole
{
    /// <summary>Relays between spokes; each peer's allowed_src routes to that peer.</summary>
    Hub,
    /// <summary>Dials exactly one hub; remote routes go to it.</summary>
    Spoke,
    /// <summary>Subnetra's "manual": empty table, rules come from the control socket.</summary>
    Manual,
}

/// <summary>An interface address with its prefix, e.g. 198.18.0.2/24 (host bits kept).</summary>
public readonly record struct InterfaceAddress(IPAddress Address, int PrefixLength)
{
    public bool IsIPv6 => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    /// <summary>The on-link network, host bits cleared (198.18.0.0/24).</summary>
    public IPNetwork Network => AddressText.ToNetwork(Address, PrefixLength);
    /// <summary>This address alone: /32 or /128.</summary>
    public IPNetwork HostRoute => new(Address, IsIPv6 ? 128 : 32);
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>A peer endpoint as configured. <see cref="Address"/> is set for IP literals; host names resolve at start.</summary>
public sealed record PeerEndpoint(string Host, ushort Port, IPAddress? Address)
{
    public bool IsLiteral => Address is not null;
    public override string ToString() =>
        Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>One entry of <c>peers[]</c>, validated. Key arrays are owned by the config: do not mutate.</summary>
public sealed class PeerConfig
{
    /// <summary>Position in <c>peers[]</c>; the forwarding table's peer index.</summary>
    public required int Index { get; init; }
    public required ushort Id { get; init; }
    /// <summary>The configured name, or "peer-&lt;id&gt;".</summary>
    public required string Name { get; init; }
    public PeerEndpoint? Endpoint { get; init; }
    /// <summary>allowed_src as written (normalized networks); empty when the key was absent.</summary>
    public required IReadOnlyList<IPNetwork> AllowedSrc { get; init; }
    /// <summary>
    /// The inner sources accepted from this peer: <see cref="AllowedSrc"/> when given; otherwise
    /// (spoke's hub, manual peers) virtual_subnet plus remote_routes. See docs/config.md.
    /// </summary>
    public required IReadOnlyList<IPNetwork> EffectiveAllowedSources { get; init; }
    /// <summary>The 32-byte link PSK (Noise psk, and the seed of the PSK identity).</summary>
    public required byte[] Psk { get; init; }
    /// <summary>The peer's own X25519 public key (explicit identity), or null for PSK identity.</summary>
    public byte[]? PublicKey { get; init; }
    public bool UsesExplicitIdentity => PublicKey is not null;
}

/// <summary>
/// A validated node configuration (DESIGN.md §5). Built only by <see cref="ConfigLoader"/>,
/// so every instance satisfies the rules in docs/config.md.
/// </summary>
public sealed class OverlayConfig
{
    /// <summary>The engine's default MTU (<see cref="Engine.WireGuardEngineOptions.DefaultMtu"/>): one default.</summary>
    public const int DefaultTunMtu = Engine.WireGuardEngineOptions.DefaultMtu;
    public const int MinTunMtu = 576;
    public const int MinTunMtuIPv6 = 1280;
    public const int MaxTunMtu = 9000;
    public const ushort DefaultHubPort = 51820;
    public const int DefaultSpokeKeepaliveSecs = 25;
    public const string DefaultTunName = "snr0";

    /// <summary>Full path of the file this came from (or the display name for streams).</summary>
    public required string SourcePath { get; init; }
    public required NodeRole Role { get; init; }
    public required IPNetwork VirtualSubnet { get; init; }
    public required ushort LocalId { get; init; }
    /// <summary>The first of <see cref="LocalTunIps"/>, or null.</summary>
    public InterfaceAddress? LocalTunIp { get; init; }
    /// <summary>Every local_tun_ip address in config order: none, one, or one IPv4 and one IPv6 (dual stack).</summary>
    public IReadOnlyList<InterfaceAddress> LocalTunIps { get; init; } = [];
    public required int TunMtu { get; init; }
    /// <summary>One UDP socket per entry: listen_ports, else listen_port, else the role default (hub 51820, spoke 0 = ephemeral).</summary>
    public required IReadOnlyList<ushort> EffectiveListenPorts { get; init; }
    public required IReadOnlyList<IPNetwork> LocalRoutes { get; init; }
    public required IReadOnlyList<IPNetwork> RemoteRoutes { get; init; }
    public required int KeepaliveSecs { get; init; }
    /// <summary>The node's explicit X25519 private key, or null (PSK identity only).</summary>
    public byte[]? PrivateKey { get; init; }
    public required string TunName { get; init; }
    public required int NegotiationVersion { get; init; }
    /// <summary>True (the default): the daemon applies its network plan at start (DESIGN.md §6); false leaves the host to the operator.</summary>
    public bool ApplyNetworkPlan { get; init; } = true;
    public required IReadOnlyList<PeerConfig> Peers { get; init; }

    /// <summary>
    /// Hub: the public HOST:PORT spokes dial (advertised_endpoint), kept for subnetra add-peer
    /// and export; null when not set. The daemon itself never uses it.
    /// </summary>
    public PeerEndpoint? AdvertisedEndpoint { get; init; }

    /// <summary>The spoke's hub (its only peer); null for other roles.</summary>
    public PeerConfig? HubPeer => Role == NodeRole.Spoke ? Peers[0] : null;

    private Dictionary<int, PeerConfig>? _peersById;

    /// <summary>The peer with this id, or null. O(1): the index is built on first use (Peers is init-only), so a status of a 10,000-link hub is linear.</summary>
    public PeerConfig? FindPeer(int id)
    {
        Dictionary<int, PeerConfig>? byId = Volatile.Read(ref _peersById);
        if (byId is null)
        {
            byId = new Dictionary<int, PeerConfig>(Peers.Count);
            foreach (var p in Peers) byId.TryAdd(p.Id, p);   // the validator refuses duplicate ids; first wins as before
            Volatile.Write(ref _peersById, byId);
        }
        return byId.GetValueOrDefault(id);
    }

    public static string RoleName(NodeRole role) => role switch
    {
        NodeRole.Hub => "hub",
        NodeRole.Spoke => "spoke",
        _ => "manual",
    };
}
