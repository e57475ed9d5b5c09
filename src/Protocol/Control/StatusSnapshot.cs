using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Control;

/// <summary>
/// What <c>subnetra status</c> shows and <c>status --json</c> prints: the daemon's identity,
/// one row per configured peer, traffic counters and every drop reason. Schema documented
/// field by field in docs/status.md; bump <see cref="CurrentSchemaVersion"/> on any change
/// that removes or redefines a field (adding a field is not such a change).
/// Never carries key material: no private/public keys, no PSKs.
/// </summary>
public sealed class StatusSnapshot
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Daemon version, e.g. "0.1.0".</summary>
    public string Version { get; init; } = "";

    /// <summary>"hub", "spoke", "manual", or "wg" (a subnetra-wg interface, configured with wg(8)).</summary>
    public string Role { get; init; } = "";

    public int LocalId { get; init; }

    /// <summary>Tunnel interface name (snr0, utun7).</summary>
    public string Tun { get; init; } = "";

    /// <summary>The host plan for <see cref="Tun"/> (address, MTU, routes) as applied at start; null from a daemon that predates it.</summary>
    public NetworkPlanStatus? NetworkPlan { get; init; }

    /// <summary>Bound UDP ports, in bind order.</summary>
    public IReadOnlyList<int> UdpPorts { get; init; } = [];

    /// <summary>Path of the control socket that answered.</summary>
    public string Socket { get; init; } = "";

    public long UptimeSeconds { get; init; }

    public IReadOnlyList<PeerStatus> Peers { get; init; } = [];

    public TrafficStats Traffic { get; init; } = new();

    /// <summary>Drop reason name (<see cref="DropReasons.Name"/>) to count; every reason, zeros included.</summary>
    public IReadOnlyDictionary<string, long> Drops { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// Every <see cref="DropReason"/> with its count from <paramref name="counters"/>, in enum
    /// order, zeros included, so a consumer can rely on every key being present.
    /// </summary>
    public static Dictionary<string, long> DropsFrom(Counters counters)
    {
        var drops = new Dictionary<string, long>(DropReasons.Count, StringComparer.Ordinal);
        for (int i = 0; i < DropReasons.Count; i++)
        {
            var reason = (DropReason)i;
            drops[DropReasons.Name(reason)] = counters.Dropped(reason);
        }
        return drops;
    }
}

/// <summary>One configured peer as seen by the daemon.</summary>
public sealed class PeerStatus
{
    /// <summary>
    /// A peer is online when its last completed handshake is younger than REJECT_AFTER_TIME
    /// (180 s, WireGuard whitepaper §6.1): after that no session key from it may be used, so
    /// traffic cannot flow until a new handshake. A live peer rekeys every REKEY_AFTER_TIME
    /// (120 s), so a connected peer never crosses this line.
    /// </summary>
    public static readonly TimeSpan OnlineWindow = TimeSpan.FromSeconds(180);

    public int Id { get; init; }

    public string Name { get; init; } = "";

    /// <summary>Current UDP endpoint as "IP:port" / "[IPv6]:port", or null when unknown (a roaming spoke that never connected).</summary>
    public string? Endpoint { get; init; }

    /// <summary>The configured endpoint when it is a host name ("hub.example.net:51820"), else null.</summary>
    public string? EndpointName { get; init; }

    /// <summary>For a host-name endpoint: "resolving" (no address yet) or "resolved"; null for an IP literal.</summary>
    public string? EndpointState { get; init; }

    /// <summary>Unix time (seconds) of the last completed handshake, or null if none since start.</summary>
    public long? LastHandshakeUnix { get; init; }

    /// <summary>Seconds between the last completed handshake and the snapshot, or null if none.</summary>
    public long? LastHandshakeAgeSeconds { get; init; }

    /// <summary>Bytes of transport data received from this peer (on the wire, WireGuard framing included).</summary>
    public long RxBytes { get; init; }

    /// <summary>Bytes of transport data sent to this peer (on the wire, WireGuard framing included).</summary>
    public long TxBytes { get; init; }

    /// <summary>Last handshake within <see cref="OnlineWindow"/>.</summary>
    public bool Online { get; init; }

    /// <summary>Inner source prefixes accepted from this peer, as CIDR strings.</summary>
    public IReadOnlyList<string> AllowedSrc { get; init; } = [];

    /// <summary>
    /// Builds a row, deriving <see cref="LastHandshakeUnix"/>, <see cref="LastHandshakeAgeSeconds"/>
    /// and <see cref="Online"/> from one handshake time and one clock reading.
    /// </summary>
    public static PeerStatus Create(
        int id, string name, string? endpoint, DateTimeOffset? lastHandshake,
        long rxBytes, long txBytes, IReadOnlyList<string> allowedSrc, DateTimeOffset now,
        string? endpointName = null, string? endpointState = null)
    {
        long? age = null;
        bool online = false;
        if (lastHandshake is { } hs)
        {
            TimeSpan elapsed = now - hs;
            if (elapsed < TimeSpan.Zero) elapsed = TimeSpan.Zero;
            age = (long)elapsed.TotalSeconds;
            online = elapsed < OnlineWindow;
        }
        return new PeerStatus
        {
            Id = id,
            Name = name,
            Endpoint = endpoint,
            EndpointName = endpointName,
            EndpointState = endpointState,
            LastHandshakeUnix = lastHandshake?.ToUnixTimeSeconds(),
            LastHandshakeAgeSeconds = age,
            RxBytes = rxBytes,
            TxBytes = txBytes,
            Online = online,
            AllowedSrc = allowedSrc,
        };
    }
}

/// <summary>Node-wide traffic counters, a copy of the traffic fields of <see cref="Counters"/>.</summary>
public sealed class TrafficStats
{
    public long TunRxPackets { get; init; }
    public long TunRxBytes { get; init; }
    public long TunTxPackets { get; init; }
    public long TunTxBytes { get; init; }
    public long UdpRxPackets { get; init; }
    public long UdpRxBytes { get; init; }
    public long UdpTxPackets { get; init; }
    public long UdpTxBytes { get; init; }
    public long RelayPackets { get; init; }
    public long RelayBytes { get; init; }
    public long HandshakeInitiationsSent { get; init; }
    public long HandshakeInitiationsReceived { get; init; }
    public long HandshakeResponsesSent { get; init; }
    public long HandshakeResponsesReceived { get; init; }
    public long CookieRepliesSent { get; init; }
    public long CookieRepliesReceived { get; init; }
    public long KeepalivesSent { get; init; }
    public long KeepalivesReceived { get; init; }
    public long SessionsEstablished { get; init; }

    /// <summary>
    /// Copies the counters. Safe off the loop thread: each field is read with
    /// <see cref="Volatile.Read(ref long)"/>; the copy may be torn across fields, which a
    /// status view tolerates (see <see cref="Counters"/>).
    /// </summary>
    public static TrafficStats From(Counters c) => new()
    {
        TunRxPackets = Volatile.Read(ref c.TunRxPackets),
        TunRxBytes = Volatile.Read(ref c.TunRxBytes),
        TunTxPackets = Volatile.Read(ref c.TunTxPackets),
        TunTxBytes = Volatile.Read(ref c.TunTxBytes),
        UdpRxPackets = Volatile.Read(ref c.UdpRxPackets),
        UdpRxBytes = Volatile.Read(ref c.UdpRxBytes),
        UdpTxPackets = Volatile.Read(ref c.UdpTxPackets),
        UdpTxBytes = Volatile.Read(ref c.UdpTxBytes),
        RelayPackets = Volatile.Read(ref c.RelayPackets),
        RelayBytes = Volatile.Read(ref c.RelayBytes),
        HandshakeInitiationsSent = Volatile.Read(ref c.HandshakeInitiationsSent),
        HandshakeInitiationsReceived = Volatile.Read(ref c.HandshakeInitiationsReceived),
        HandshakeResponsesSent = Volatile.Read(ref c.HandshakeResponsesSent),
        HandshakeResponsesReceived = Volatile.Read(ref c.HandshakeResponsesReceived),
        CookieRepliesSent = Volatile.Read(ref c.CookieRepliesSent),
        CookieRepliesReceived = Volatile.Read(ref c.CookieRepliesReceived),
        KeepalivesSent = Volatile.Read(ref c.KeepalivesSent),
        KeepalivesReceived = Volatile.Read(ref c.KeepalivesReceived),
        SessionsEstablished = Volatile.Read(ref c.SessionsEstablished),
    };
}
