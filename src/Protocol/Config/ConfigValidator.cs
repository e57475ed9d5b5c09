using System.Net;

namespace Overlay.Protocol.Config;

/// <summary>
/// Walks a <see cref="ConfigNode"/> tree and builds an <see cref="OverlayConfig"/>, collecting
/// every error and warning. The rules are listed in docs/config.md; keep the two in step.
/// Split by section: top-level keys (.TopLevel), keys (.Keys), peers (.Peers), role rules (.Roles),
/// onboarding keys (.Onboarding) and the typed readers they share (.Readers). Errors are reported in the order the sections run.
/// </summary>
internal sealed partial class ConfigValidator
{
    private static readonly string[] TopKeys =
    [
        "role", "virtual_subnet", "local_id", "local_tun_ip", "local_tun_mtu", "listen_port", "listen_ports",
        "local_routes", "remote_routes", "keepalive_secs", "private_key", "private_key_file", "tun_name",
        "negotiation_version", "obfuscate", "apply_network_plan", "peers",
        AdvertisedEndpointKey,
    ];

    private static readonly string[] PeerKeys = ["id", "name", "endpoint", "allowed_src", "psk", "public_key"];

    public const int MaxListenPorts = 16;
    public const int MaxPeerNameLength = 48;
    public const int MaxTunNameLength = 15; // Linux IFNAMSIZ (16) minus the NUL
    public const int MaxKeepaliveSecs = 3600;

    private readonly string _file;
    private readonly string _baseDirectory;
    private readonly IRegularFileReader? _files;
    private readonly List<ConfigError> _errors = [];
    private readonly List<string> _warnings = [];

    public ConfigValidator(string file, string baseDirectory, IRegularFileReader? files = null)
    {
        _files = files;
        _file = file;
        _baseDirectory = baseDirectory;
    }

    public IReadOnlyList<ConfigError> Errors => _errors;
    public IReadOnlyList<string> Warnings => _warnings;

    private void Error(string path, string message) => _errors.Add(new ConfigError(_file, path, message));
    private void Warn(string path, string message) => _warnings.Add(new ConfigError(_file, path, message).ToString());

    public OverlayConfig? Run(ConfigNode root)
    {
        var d = new TopDraft(Fields(root, TopKeys, PeerKeys, "a top-level key", "each peers[] entry"));
        ReadIdentity(d);
        ReadListenPorts(d);
        ReadRoutes(d);
        d.PrivateKey = PrivateKey(d.Fields);
        ReadInterfaceOptions(d);
        ReadAdvertisedEndpoint(d);
        ReadPeers(d);

        CheckPeerUniqueness(d.Peers, d.LocalId);
        ReadTunMtu(d);
        if (d.Role == NodeRole.Hub) CheckHub(d);
        if (d.Role == NodeRole.Spoke) CheckSpoke(d);
        CheckExplicitKeys(d);

        if (_errors.Count > 0 || d.Role is null || d.VirtualSubnet is null || d.LocalId is null)
            return null;
        return Build(d, d.Role.Value, d.VirtualSubnet.Value, d.LocalId.Value);
    }

    /// <summary>What the top-level sections have read so far; <see cref="Build"/> turns it into the config.</summary>
    private sealed class TopDraft(Dictionary<string, ConfigNode> fields)
    {
        public readonly Dictionary<string, ConfigNode> Fields = fields;
        public NodeRole? Role;
        public IPNetwork? VirtualSubnet;
        public int? LocalId;
        public InterfaceAddress? LocalTunIp;
        public List<InterfaceAddress> LocalTunIps = [];
        public bool ApplyNetworkPlan = true;
        public int? ListenPort;
        public List<ushort>? ListenPorts;
        public List<IPNetwork> LocalRoutes = [];
        public List<IPNetwork> RemoteRoutes = [];
        public ConfigNode? LocalRoutesNode;
        public ConfigNode? RemoteRoutesNode;
        public int? Keepalive;
        public byte[]? PrivateKey;
        public string TunName = OverlayConfig.DefaultTunName;
        public int Negotiation = 1;
        public int Mtu = OverlayConfig.DefaultTunMtu;
        public List<PeerDraft> Peers = [];
        public PeerEndpoint? AdvertisedEndpoint;
    }

    private OverlayConfig Build(TopDraft d, NodeRole r, IPNetwork virtualSubnet, int localId)
    {
        var ports = d.ListenPorts ?? [(ushort)(d.ListenPort ?? (r == NodeRole.Spoke ? 0 : OverlayConfig.DefaultHubPort))];
        return new OverlayConfig
        {
            SourcePath = _file,
            Role = r,
            VirtualSubnet = virtualSubnet,
            LocalId = (ushort)localId,
            LocalTunIp = d.LocalTunIp,
            LocalTunIps = d.LocalTunIps,
            TunMtu = d.Mtu,
            EffectiveListenPorts = ports,
            LocalRoutes = r == NodeRole.Hub ? [] : d.LocalRoutes,
            RemoteRoutes = r == NodeRole.Hub ? [] : d.RemoteRoutes,
            KeepaliveSecs = d.Keepalive ?? (r == NodeRole.Spoke ? OverlayConfig.DefaultSpokeKeepaliveSecs : 0),
            PrivateKey = d.PrivateKey,
            TunName = d.TunName,
            NegotiationVersion = d.Negotiation,
            ApplyNetworkPlan = d.ApplyNetworkPlan,
            Peers = BuildPeers(d.Peers, r, virtualSubnet, d.RemoteRoutes),
            AdvertisedEndpoint = d.AdvertisedEndpoint,
        };
    }
}
