using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Overlay.Protocol.Config;

/// <summary>
/// Walks a <see cref="ConfigNode"/> tree and builds an <see cref="OverlayConfig"/>, collecting
/// every error and warning. The rules are listed in docs/config.md; keep the two in step.
/// </summary>
internal sealed class ConfigValidator
{
    private static readonly string[] TopKeys =
    [
        "role", "virtual_subnet", "local_id", "local_tun_ip", "local_tun_mtu", "listen_port", "listen_ports",
        "local_routes", "remote_routes", "keepalive_secs", "private_key", "private_key_file", "tun_name",
        "negotiation_version", "obfuscate", "peers",
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
        _file = file;
        _baseDirectory = baseDirectory;
        _files = files;
    }

    public IReadOnlyList<ConfigError> Errors => _errors;
    public IReadOnlyList<string> Warnings => _warnings;

    private void Error(string path, string message) => _errors.Add(new ConfigError(_file, path, message));
    private void Warn(string path, string message) => _warnings.Add(new ConfigError(_file, path, message).ToString());

    public OverlayConfig? Run(ConfigNode root)
    {
        var top = Fields(root, TopKeys, PeerKeys, "a top-level key", "each peers[] entry");

        // role
        NodeRole? role = null;
        if (Required(top, "role", "required: \"hub\", \"spoke\" or \"manual\"") is { } roleNode && String(roleNode) is string roleText)
        {
            role = roleText switch
            {
                "hub" => NodeRole.Hub,
                "spoke" => NodeRole.Spoke,
                "manual" => NodeRole.Manual,
                _ => null,
            };
            if (role is null) Error("role", $"must be \"hub\", \"spoke\" or \"manual\"; got '{roleText}'");
        }

        // virtual_subnet
        IPNetwork? virtualSubnet = null;
        if (Required(top, "virtual_subnet", "required: the overlay network as a CIDR, e.g. 198.18.0.0/24") is { } vsNode)
            virtualSubnet = Network(vsNode);

        // local_id
        int? localId = null;
        if (Required(top, "local_id", "required: this node's id, 1..65535") is { } idNode)
            localId = Integer(idNode, 1, 65535);

        // local_tun_ip
        InterfaceAddress? localTunIp = null;
        if (top.TryGetValue("local_tun_ip", out var tunIpNode) && String(tunIpNode) is string tunIpText)
        {
            if (AddressText.TryParseCidr(tunIpText, out var a, out int len, out string err))
                localTunIp = new InterfaceAddress(a, len);
            else Error(tunIpNode.JsonPath, err);
        }

        // listen_port / listen_ports
        List<ushort>? listenPorts = null;
        int? listenPort = top.TryGetValue("listen_port", out var lpNode) ? Integer(lpNode, 0, 65535) : null;
        if (top.TryGetValue("listen_ports", out var lpsNode))
        {
            // Subnetra ignores listen_port when listen_ports is present; so do we, but say so.
            if (lpNode is not null)
                Warn("listen_port", "ignored because listen_ports is set (listen_ports opens one socket per port)");
            listenPorts = ListenPorts(lpsNode);
        }

        // routes
        var localRoutes = top.TryGetValue("local_routes", out var lrNode) ? NetworkList(lrNode, allowSingle: false) : [];
        var remoteRoutes = top.TryGetValue("remote_routes", out var rrNode) ? NetworkList(rrNode, allowSingle: false) : [];

        // keepalive
        int? keepalive = top.TryGetValue("keepalive_secs", out var kaNode) ? Integer(kaNode, 0, MaxKeepaliveSecs) : null;

        // keys
        byte[]? privateKey = PrivateKey(top);

        // tun_name
        string tunName = OverlayConfig.DefaultTunName;
        if (top.TryGetValue("tun_name", out var tnNode) && String(tnNode) is string tn)
        {
            if (IsValidTunName(tn, out string why)) tunName = tn;
            else Error(tnNode.JsonPath, why);
        }

        // negotiation_version
        int negotiation = 1;
        if (top.TryGetValue("negotiation_version", out var nvNode) && Integer(nvNode, int.MinValue, int.MaxValue) is int nv)
        {
            if (nv != 1) Error(nvNode.JsonPath, $"must be 1 (the only version: WireGuard protocol v1); got {nv}");
        }

        // obfuscate
        if (top.TryGetValue("obfuscate", out var obNode) && Bool(obNode) is bool ob)
        {
            if (ob)
                Error(obNode.JsonPath,
                    "true is not supported: packets are standard WireGuard messages and their framing is never masked " +
                    "(Subnetra's header obfuscation does not exist here); remove the key or set it to false");
            else
                Warn(obNode.JsonPath, "false has no effect: WireGuard framing is never masked; the key can be removed");
        }

        // peers
        var peers = new List<PeerDraft>();
        if (Required(top, "peers", "required: the list of peers (a spoke lists its hub; a hub lists its spokes)") is { } peersNode)
        {
            var items = Array(peersNode);
            if (items is not null)
                for (int i = 0; i < items.Count; i++)
                    if (Peer(items[i], i) is PeerDraft d) peers.Add(d);
            if (items is { Count: 0 }) Error("peers", "must list at least one peer");
            else if (items is not null && role == NodeRole.Spoke && items.Count != 1)
                Error("peers", $"a spoke has exactly one peer, its hub; got {items.Count}");
        }

        // ---- cross-field rules ----
        CheckPeerUniqueness(peers, localId);

        bool anyV6 = IsV6(virtualSubnet) || (localTunIp?.IsIPv6 ?? false)
            || localRoutes.Any(n => IsV6(n)) || remoteRoutes.Any(n => IsV6(n))
            || peers.Any(p => p.AllowedSrc.Any(n => IsV6(n)));
        int mtu = OverlayConfig.DefaultTunMtu;
        if (top.TryGetValue("local_tun_mtu", out var mtuNode) && Integer(mtuNode, OverlayConfig.MinTunMtu, OverlayConfig.MaxTunMtu) is int m)
        {
            if (anyV6 && m < OverlayConfig.MinTunMtuIPv6)
                Error(mtuNode.JsonPath, $"must be at least {OverlayConfig.MinTunMtuIPv6} when IPv6 inner addresses are configured (RFC 8200 §5); got {m}");
            mtu = m;
        }

        if (role == NodeRole.Hub) CheckHub(peers, listenPort, localTunIp, localRoutes, remoteRoutes, lrNode, rrNode);
        if (role == NodeRole.Spoke) CheckSpoke(peers, localTunIp, localRoutes, lrNode);

        bool anyExplicit = false;
        foreach (var p in peers)
        {
            if (p.PublicKey is null) continue;
            anyExplicit = true;
            if (privateKey is null && !top.ContainsKey("private_key") && !top.ContainsKey("private_key_file"))
                Error($"peers[{p.Index}].public_key",
                    "an explicit peer key needs this node's own key: set private_key or private_key_file at the top level");
        }
        if (privateKey is not null && !anyExplicit)
            Warn(top.ContainsKey("private_key") ? "private_key" : "private_key_file",
                "unused: no peer has public_key, so every link uses its PSK-derived identity");

        if (_errors.Count > 0 || role is null || virtualSubnet is null || localId is null)
            return null;

        NodeRole r = role.Value;
        var ports = listenPorts ?? [(ushort)(listenPort ?? (r == NodeRole.Spoke ? 0 : OverlayConfig.DefaultHubPort))];
        var finalPeers = new List<PeerConfig>(peers.Count);
        foreach (var p in peers)
        {
            IReadOnlyList<IPNetwork> effective = p.AllowedSrc.Count > 0 ? p.AllowedSrc
                : r == NodeRole.Spoke ? Distinct([virtualSubnet.Value, .. remoteRoutes])
                : [virtualSubnet.Value];
            finalPeers.Add(new PeerConfig
            {
                Index = p.Index,
                Id = (ushort)p.Id,
                Name = p.Name ?? $"peer-{p.Id}",
                Endpoint = p.Endpoint,
                AllowedSrc = p.AllowedSrc,
                EffectiveAllowedSources = effective,
                Psk = p.Psk!,
                PublicKey = p.PublicKey,
            });
        }

        return new OverlayConfig
        {
            SourcePath = _file,
            Role = r,
            VirtualSubnet = virtualSubnet.Value,
            LocalId = (ushort)localId.Value,
            LocalTunIp = localTunIp,
            TunMtu = mtu,
            EffectiveListenPorts = ports,
            LocalRoutes = r == NodeRole.Hub ? [] : localRoutes,
            RemoteRoutes = r == NodeRole.Hub ? [] : remoteRoutes,
            KeepaliveSecs = keepalive ?? (r == NodeRole.Spoke ? OverlayConfig.DefaultSpokeKeepaliveSecs : 0),
            PrivateKey = privateKey,
            TunName = tunName,
            NegotiationVersion = negotiation,
            Peers = finalPeers,
        };
    }

    // ---------------------------------------------------------------- role rules

    private void CheckHub(List<PeerDraft> peers, int? listenPort, InterfaceAddress? localTunIp, List<IPNetwork> localRoutes,
        List<IPNetwork> remoteRoutes, ConfigNode? lrNode, ConfigNode? rrNode)
    {
        if (listenPort == 0)
            Error("listen_port", "a hub must listen on a fixed port (1..65535) so spokes can reach it; 0 means ephemeral");
        if (lrNode is not null && localRoutes.Count > 0)
            Warn("local_routes", "ignored on a hub: its table comes from each peer's allowed_src");
        if (rrNode is not null && remoteRoutes.Count > 0)
            Warn("remote_routes", "ignored on a hub: its table comes from each peer's allowed_src");

        foreach (var p in peers)
        {
            if (!p.HasAllowedSrc)
            {
                Error($"peers[{p.Index}].allowed_src",
                    "required on a hub: the overlay addresses this spoke may send from and that the hub relays to it (e.g. 198.18.0.2/32)");
                continue;
            }
            for (int k = 0; k < p.AllowedSrc.Count; k++)
            {
                if (p.AllowedSrc[k].PrefixLength == 0)
                    Error(p.AllowedSrcPath(k),
                        $"{p.AllowedSrc[k]} is too broad on a hub: a hub peer's allowed_src is also its relay destination, so /0 would capture all traffic");
                // The hub's own address routes to its tun; a spoke allowed to send from it could impersonate the hub.
                else if (localTunIp is InterfaceAddress own && p.AllowedSrc[k].Contains(own.Address))
                    Error(p.AllowedSrcPath(k),
                        $"{p.AllowedSrc[k]} contains the hub's own local_tun_ip {own.Address}; a spoke must not send from the hub's address");
            }
        }
        // Pairwise overlap: a destination must name exactly one spoke.
        for (int i = 0; i < peers.Count; i++)
            for (int j = 0; j < i; j++)
                for (int a = 0; a < peers[i].AllowedSrc.Count; a++)
                    for (int b = 0; b < peers[j].AllowedSrc.Count; b++)
                    {
                        var x = peers[i].AllowedSrc[a];
                        var y = peers[j].AllowedSrc[b];
                        if (x.PrefixLength == 0 || y.PrefixLength == 0) continue;
                        if (AddressText.Overlaps(x, y))
                            Error(peers[i].AllowedSrcPath(a), $"{x} overlaps {peers[j].AllowedSrcPath(b)} ({y}); a hub peer's allowed_src must be disjoint from every other peer's");
                    }
    }

    private void CheckSpoke(List<PeerDraft> peers, InterfaceAddress? localTunIp, List<IPNetwork> localRoutes, ConfigNode? lrNode)
    {
        if (localTunIp is null && localRoutes.Count == 0)
            Error("local_tun_ip", "a spoke needs local_tun_ip or local_routes: the addresses delivered to its own tun");
        if (lrNode is not null)
        {
            var items = lrNode.IsArrayLike ? lrNode.Children : [];
            for (int k = 0; k < localRoutes.Count; k++)
                if (localRoutes[k].PrefixLength == 0)
                    Error(k < items.Count ? items[k].JsonPath : "local_routes",
                        $"{localRoutes[k]} is too broad: a /0 local route would keep all traffic on this spoke");
        }
        foreach (var p in peers)
            if (p.Endpoint is null && p.EndpointPresentButInvalid is false)
                Error($"peers[{p.Index}].endpoint", "required on a spoke: the hub's address, IP:port, [IPv6]:port or host:port");
    }

    private void CheckPeerUniqueness(List<PeerDraft> peers, int? localId)
    {
        for (int i = 0; i < peers.Count; i++)
        {
            var p = peers[i];
            if (p.Id != 0 && localId is int lid && p.Id == lid)
                Error($"peers[{p.Index}].id", $"{p.Id} equals local_id: a node cannot be its own peer");
            for (int j = 0; j < i; j++)
            {
                var q = peers[j];
                if (p.Id != 0 && p.Id == q.Id)
                    Error($"peers[{p.Index}].id", $"duplicate of peers[{q.Index}].id ({p.Id})");
                if (p.Psk is not null && q.Psk is not null && p.Psk.AsSpan().SequenceEqual(q.Psk))
                    Error($"peers[{p.Index}].psk", $"duplicate of peers[{q.Index}].psk: every link needs its own PSK");
                if (p.PublicKey is not null && q.PublicKey is not null && p.PublicKey.AsSpan().SequenceEqual(q.PublicKey))
                    Error($"peers[{p.Index}].public_key", $"duplicate of peers[{q.Index}].public_key");
                if (p.Endpoint is not null && q.Endpoint is not null
                    && p.Endpoint.Port == q.Endpoint.Port
                    && (p.Endpoint.Address is not null && q.Endpoint.Address is not null
                        ? p.Endpoint.Address.Equals(q.Endpoint.Address)
                        : string.Equals(p.Endpoint.Host, q.Endpoint.Host, StringComparison.OrdinalIgnoreCase)))
                    Error($"peers[{p.Index}].endpoint", $"duplicate of peers[{q.Index}].endpoint ({q.Endpoint})");
            }
        }
    }

    // ---------------------------------------------------------------- peers

    private sealed class PeerDraft
    {
        public int Index;
        public int Id;
        public string? Name;
        public PeerEndpoint? Endpoint;
        public bool EndpointPresentButInvalid;
        public bool HasAllowedSrc;
        public List<IPNetwork> AllowedSrc = [];
        public List<string> AllowedSrcPaths = [];
        public byte[]? Psk;
        public byte[]? PublicKey;
        public string AllowedSrcPath(int k) => k < AllowedSrcPaths.Count ? AllowedSrcPaths[k] : $"peers[{Index}].allowed_src";
    }

    private PeerDraft? Peer(ConfigNode node, int index)
    {
        string path = $"peers[{index}]";
        if (node.IsNull || !node.IsContainer || node.IsArrayLike)
        {
            Error(path, $"expected an object with id, psk, ...; got {node.Describe()}");
            return null;
        }
        var f = Fields(node, PeerKeys, TopKeys, "a peer key", "the top level");
        var d = new PeerDraft { Index = index };

        if (Required(f, "id", "required: the peer's id, 1..65535", path) is { } idNode)
            d.Id = Integer(idNode, 1, 65535) ?? 0;

        if (f.TryGetValue("name", out var nameNode) && String(nameNode) is string name)
        {
            if (name.Length > MaxPeerNameLength)
                Error(nameNode.JsonPath, $"at most {MaxPeerNameLength} characters; got {name.Length}");
            else if (name.Any(c => c is < ' ' or > '~'))
                Error(nameNode.JsonPath, "only printable ASCII (0x20..0x7E) is allowed");
            else d.Name = name;
        }

        if (f.TryGetValue("endpoint", out var epNode) && String(epNode) is string ep)
        {
            if (AddressText.TryParseEndpoint(ep, out var parsed, out string err)) d.Endpoint = parsed;
            else { Error(epNode.JsonPath, err); d.EndpointPresentButInvalid = true; }
        }
        else if (epNode is not null) d.EndpointPresentButInvalid = !epNode.IsNull;

        if (f.TryGetValue("allowed_src", out var asNode) && !asNode.IsNull)
        {
            d.HasAllowedSrc = true;
            d.AllowedSrc = NetworkList(asNode, allowSingle: true, d.AllowedSrcPaths);
            if (d.AllowedSrc.Count == 0 && asNode.Value == "")
                Error(asNode.JsonPath, "must name at least one CIDR");
        }

        if (Required(f, "psk", "required: the link's pre-shared key (64 hex or 44-character base64; `subnetra genpsk`)", path) is { } pskNode
            && String(pskNode) is string pskText)
        {
            if (!KeyEncoding.TryParsePsk(pskText, out var psk, out string err)) Error(pskNode.JsonPath, err);
            else if (KeyEncoding.IsAllZero(psk)) Error(pskNode.JsonPath, "is all zeros; generate one with `subnetra genpsk`");
            else d.Psk = psk;
        }

        if (f.TryGetValue("public_key", out var pkNode) && String(pkNode) is string pkText)
        {
            if (!KeyEncoding.TryParseBase64Key(pkText, out var pk))
                Error(pkNode.JsonPath, "must be a WireGuard public key: 44-character base64 of 32 bytes");
            else if (KeyEncoding.IsAllZero(pk)) Error(pkNode.JsonPath, "is all zeros, which is not a usable X25519 public key");
            else d.PublicKey = pk;
        }
        return d;
    }

    private byte[]? PrivateKey(Dictionary<string, ConfigNode> top)
    {
        bool hasKey = top.TryGetValue("private_key", out var keyNode);
        bool hasFile = top.TryGetValue("private_key_file", out var fileNode);
        if (hasKey && hasFile)
        {
            Error("private_key_file", "cannot be combined with private_key; keep one");
            return null;
        }
        string? text = null;
        string path = "private_key";
        if (hasKey)
        {
            text = String(keyNode!);
        }
        else if (hasFile && String(fileNode!) is string file)
        {
            path = "private_key_file";
            string full = Path.GetFullPath(file, _baseDirectory);
            if (_files is null) { Error(path, $"cannot read {full}: this config was not loaded from a file"); return null; }
            FileReadResult read = _files.Read(full, ConfigLoader.MaxKeyFileBytes);
            switch (read.Status)
            {
                case FileReadStatus.Ok:
                    break;
                case FileReadStatus.NotFound:
                    Error(path, $"file not found: {full}");
                    return null;
                case FileReadStatus.NotRegular:
                    Error(path, $"{full} {read.Problem}; point private_key_file at a file holding the key (`subnetra genkey > node.key`)");
                    return null;
                case FileReadStatus.TooLarge:
                    Error(path, $"{full} is too large to be a key file ({read.Problem}); it should hold one 44-character key");
                    return null;
                default:
                    Error(path, $"cannot read {full}: it {read.Problem}");
                    return null;
            }
            byte[] bytes = read.Bytes!;
            try
            {
                text = System.Text.Encoding.UTF8.GetString(bytes).Trim();
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
            }
            try
            {
                if (!OperatingSystem.IsWindows()
                    && (File.GetUnixFileMode(full) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
                    Warn(path, $"{full} is readable by group or others; restrict it with chmod 600");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The key was read; its mode only feeds a warning.
            }
        }
        if (text is null) return null;
        if (!KeyEncoding.TryParseBase64Key(text, out var key))
        {
            Error(path, "must be a WireGuard private key: 44-character base64 of 32 bytes (`subnetra genkey`)");
            return null;
        }
        if (KeyEncoding.IsAllZero(key))
        {
            Error(path, "is all zeros; generate one with `subnetra genkey`");
            return null;
        }
        return key;
    }

    // ---------------------------------------------------------------- typed readers

    /// <summary>
    /// Indexes an object's children by key, reporting every key not in <paramref name="known"/>
    /// with a suggestion: the nearest known key by edit distance, or the level it belongs to.
    /// </summary>
    private Dictionary<string, ConfigNode> Fields(ConfigNode obj, string[] known, string[] otherLevel, string kind, string otherLevelName)
    {
        var map = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        foreach (var child in obj.Children)
        {
            if (System.Array.IndexOf(known, child.Key) >= 0)
            {
                map[child.Key] = child;
                continue;
            }
            string message = $"unknown key";
            string? exactIgnoringCase = known.FirstOrDefault(k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase));
            if (exactIgnoringCase is not null)
                message += $" (keys are case-sensitive); did you mean '{exactIgnoringCase}'?";
            else if (obj.Key == "" && child.Key == "psk")
                message = "a mesh-wide psk is not supported (Subnetra removed it too); put a psk on each peers[] entry";
            else if (System.Array.IndexOf(otherLevel, child.Key) >= 0)
                message = $"is not {kind}; '{child.Key}' belongs in {otherLevelName}";
            else if (Suggest(child.Key, known) is string s)
                message += $"; did you mean '{s}'?";
            Error(child.JsonPath, message);
        }
        return map;
    }

    internal static string? Suggest(string key, string[] known)
    {
        string lower = key.ToLowerInvariant();
        if (lower.Length >= 4)
            foreach (string k in known)
                if (k.StartsWith(lower, StringComparison.Ordinal)) return k; // "keepalive" -> "keepalive_secs"
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string k in known)
        {
            int d = EditDistance(lower, k);
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        int allowed = Math.Max(2, key.Length / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Levenshtein distance (insert, delete, substitute each cost 1).</summary>
    internal static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>A required key: absent or JSON null is reported with <paramref name="message"/>.</summary>
    private ConfigNode? Required(Dictionary<string, ConfigNode> fields, string key, string message, string parentPath = "")
    {
        if (fields.TryGetValue(key, out var n) && !n.IsNull) return n;
        Error(parentPath.Length == 0 ? key : $"{parentPath}.{key}", message);
        return null;
    }

    /// <summary>A string-valued key. JSON null counts as absent; an object or array is an error.</summary>
    private string? String(ConfigNode n)
    {
        if (n.IsNull) return null;
        if (n.IsContainer)
        {
            Error(n.JsonPath, $"expected a string, got {n.Describe()}");
            return null;
        }
        // The provider turns 5 and true into text; the kind map tells them apart (issue 2).
        switch (n.Kind)
        {
            case JsonValueKind.Number:
                Error(n.JsonPath, $"expected a string, got a number {n.Value}");
                return null;
            case JsonValueKind.True or JsonValueKind.False:
                Error(n.JsonPath, $"expected a string, got {(n.Kind == JsonValueKind.True ? "true" : "false")}");
                return null;
        }
        return n.Value;
    }

    /// <summary>
    /// An integer in [min, max]. Numbers arrive as text; "1.0", "1e3" and "true" are refused, and
    /// so is a JSON string holding digits ("5"), which the kind map reveals.
    /// </summary>
    private int? Integer(ConfigNode n, int min, int max)
    {
        if (n.IsNull) return null;
        if (n.IsContainer)
        {
            Error(n.JsonPath, $"expected an integer, got {n.Describe()}");
            return null;
        }
        string t = n.Value!;
        bool digits = t.Length > 0 && t.Length <= 11 && (t[0] == '-' ? t.Length > 1 && t[1..].All(char.IsAsciiDigit) : t.All(char.IsAsciiDigit));
        if (!digits || !long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            Error(n.JsonPath, $"expected an integer, got '{t}'");
            return null;
        }
        if (n.Kind == JsonValueKind.String)
        {
            Error(n.JsonPath, $"expected an integer, got a string '{t}'; remove the quotes");
            return null;
        }
        if (v < min || v > max)
        {
            Error(n.JsonPath, $"must be in {min}..{max}; got {v}");
            return null;
        }
        return (int)v;
    }

    /// <summary>JSON true or false; the strings "true"/"false" are refused (issue 2).</summary>
    private bool? Bool(ConfigNode n)
    {
        if (n.IsNull) return null;
        if (n.Kind == JsonValueKind.String && n.Value is "true" or "false" or "True" or "False")
        {
            Error(n.JsonPath, $"expected true or false, got a string '{n.Value}'; remove the quotes");
            return null;
        }
        if (!n.IsContainer && (n.Value == "True" || n.Value == "true")) return true;
        if (!n.IsContainer && (n.Value == "False" || n.Value == "false")) return false;
        Error(n.JsonPath, $"expected true or false, got {n.Describe()}");
        return null;
    }

    /// <summary>An array's elements. [] flattens to "" and is an empty list; other scalars and objects are errors.</summary>
    private IReadOnlyList<ConfigNode>? Array(ConfigNode n)
    {
        if (n.IsNull) return null;
        if (!n.IsContainer)
        {
            if (n.Value == "") return [];
            Error(n.JsonPath, $"expected an array, got {n.Describe()}");
            return null;
        }
        if (!n.IsArrayLike)
        {
            Error(n.JsonPath, $"expected an array, got {n.Describe()}");
            return null;
        }
        return n.Children;
    }

    private IPNetwork? Network(ConfigNode n)
    {
        if (String(n) is not string text) return null;
        if (!AddressText.TryParseCidr(text, out var a, out int len, out string err))
        {
            Error(n.JsonPath, err);
            return null;
        }
        var net = AddressText.ToNetwork(a, len);
        if (!net.BaseAddress.Equals(a))
            Warn(n.JsonPath, $"{text} has host bits set; using {net}");
        return net;
    }

    /// <summary>A list of CIDRs; with <paramref name="allowSingle"/> a single string is a one-element list.</summary>
    private List<IPNetwork> NetworkList(ConfigNode n, bool allowSingle, List<string>? paths = null)
    {
        var result = new List<IPNetwork>();
        if (allowSingle && !n.IsContainer && !string.IsNullOrEmpty(n.Value))
        {
            if (Network(n) is IPNetwork one) { result.Add(one); paths?.Add(n.JsonPath); }
            return result;
        }
        var items = Array(n);
        if (items is null) return result;
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].IsNull) { Error(items[i].JsonPath, "expected a CIDR string, got null"); continue; }
            if (Network(items[i]) is not IPNetwork net) continue;
            int dup = result.FindIndex(x => x.Equals(net));
            if (dup >= 0) { Error(items[i].JsonPath, $"duplicate of {paths?[dup] ?? $"{n.JsonPath}[{dup}]"} ({net})"); continue; }
            result.Add(net);
            paths?.Add(items[i].JsonPath);
        }
        return result;
    }

    private List<ushort>? ListenPorts(ConfigNode n)
    {
        var items = Array(n);
        if (items is null) return null;
        if (items.Count == 0) { Error(n.JsonPath, "must list at least one port"); return null; }
        if (items.Count > MaxListenPorts) { Error(n.JsonPath, $"at most {MaxListenPorts} ports; got {items.Count}"); return null; }
        var ports = new List<ushort>();
        foreach (var item in items)
        {
            if (Integer(item, 1, 65535) is not int p) continue;
            if (ports.Contains((ushort)p)) { Error(item.JsonPath, $"duplicate port {p}"); continue; }
            ports.Add((ushort)p);
        }
        return ports;
    }

    internal static bool IsValidTunName(string name, out string why)
    {
        if (name.Length is 0 or > MaxTunNameLength)
            why = $"must be 1..{MaxTunNameLength} characters (Linux IFNAMSIZ); got {name.Length}";
        else if (name is "." or "..")
            why = $"'{name}' is not a valid interface name";
        else if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            why = "may contain only letters, digits, '_', '.' and '-'";
        else { why = ""; return true; }
        return false;
    }

    private static bool IsV6(IPNetwork? n) => n is IPNetwork x && x.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;

    private static List<IPNetwork> Distinct(IEnumerable<IPNetwork> nets)
    {
        var list = new List<IPNetwork>();
        foreach (var n in nets) if (!list.Contains(n)) list.Add(n);
        return list;
    }
}
