using System.Net;

namespace Overlay.Protocol.Config;

/// <summary>The peers[] list: each entry's keys, uniqueness across entries, and the final <see cref="PeerConfig"/>s.</summary>
internal sealed partial class ConfigValidator
{
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

    private void ReadPeers(TopDraft d)
    {
        if (Required(d.Fields, "peers", "required: the list of peers (a spoke lists its hub; a hub lists its spokes)") is not { } peersNode)
            return;
        var items = Array(peersNode);
        if (items is not null)
            for (int i = 0; i < items.Count; i++)
                if (Peer(items[i], i) is PeerDraft p) d.Peers.Add(p);
        if (items is { Count: 0 }) EmptyPeers(d);
        else if (items is not null && d.Role == NodeRole.Spoke && items.Count != 1)
            Error("peers", $"a spoke has exactly one peer, its hub; got {items.Count}");
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
        ReadPeerName(f, d);
        ReadPeerEndpoint(f, d);
        ReadPeerAllowedSrc(f, d);
        ReadPeerPsk(f, d, path);
        ReadPeerPublicKey(f, d);
        return d;
    }

    private void ReadPeerName(Dictionary<string, ConfigNode> f, PeerDraft d)
    {
        if (!f.TryGetValue("name", out var nameNode) || String(nameNode) is not string name) return;
        if (name.Length > MaxPeerNameLength)
            Error(nameNode.JsonPath, $"at most {MaxPeerNameLength} characters; got {name.Length}");
        else if (name.Any(c => c is < ' ' or > '~'))
            Error(nameNode.JsonPath, "only printable ASCII (0x20..0x7E) is allowed");
        else d.Name = name;
    }

    private void ReadPeerEndpoint(Dictionary<string, ConfigNode> f, PeerDraft d)
    {
        if (f.TryGetValue("endpoint", out var epNode) && String(epNode) is string ep)
        {
            if (AddressText.TryParseEndpoint(ep, out var parsed, out string err)) d.Endpoint = parsed;
            else { Error(epNode.JsonPath, err); d.EndpointPresentButInvalid = true; }
        }
        else if (epNode is not null) d.EndpointPresentButInvalid = !epNode.IsNull;
    }

    private void ReadPeerAllowedSrc(Dictionary<string, ConfigNode> f, PeerDraft d)
    {
        if (!f.TryGetValue("allowed_src", out var asNode) || asNode.IsNull) return;
        d.HasAllowedSrc = true;
        d.AllowedSrc = NetworkList(asNode, allowSingle: true, d.AllowedSrcPaths);
        if (d.AllowedSrc.Count == 0 && asNode.Value == "")
            Error(asNode.JsonPath, "must name at least one CIDR");
    }

    private void ReadPeerPsk(Dictionary<string, ConfigNode> f, PeerDraft d, string path)
    {
        if (Required(f, "psk", "required: the link's pre-shared key (64 hex or 44-character base64; `subnetra genpsk`)", path) is not { } pskNode
            || String(pskNode) is not string pskText)
            return;
        if (!KeyEncoding.TryParsePsk(pskText, out var psk, out string err)) Error(pskNode.JsonPath, err);
        else if (KeyEncoding.IsAllZero(psk)) Error(pskNode.JsonPath, "is all zeros; generate one with `subnetra genpsk`");
        else d.Psk = psk;
    }

    private void ReadPeerPublicKey(Dictionary<string, ConfigNode> f, PeerDraft d)
    {
        if (!f.TryGetValue("public_key", out var pkNode) || String(pkNode) is not string pkText) return;
        if (!KeyEncoding.TryParseBase64Key(pkText, out var pk))
            Error(pkNode.JsonPath, "must be a WireGuard public key: 44-character base64 of 32 bytes");
        else if (KeyEncoding.IsAllZero(pk)) Error(pkNode.JsonPath, "is all zeros, which is not a usable X25519 public key");
        else d.PublicKey = pk;
    }

    /// <summary>
    /// Ids, PSKs, public keys and endpoints must be unique: one hash lookup per peer and field (O(n)), each
    /// duplicate reported against the first peer that has the value.
    /// </summary>
    private void CheckPeerUniqueness(List<PeerDraft> peers, int? localId)
    {
        var ids = new Dictionary<int, PeerDraft>();
        var psks = new Dictionary<string, PeerDraft>(StringComparer.Ordinal);
        var publicKeys = new Dictionary<string, PeerDraft>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, PeerDraft>(StringComparer.Ordinal);
        foreach (var p in peers)
        {
            if (p.Id != 0 && localId is int lid && p.Id == lid)
                Error($"peers[{p.Index}].id", $"{p.Id} equals local_id: a node cannot be its own peer");
            if (p.Id != 0 && !ids.TryAdd(p.Id, p))
                Error($"peers[{p.Index}].id", $"duplicate of peers[{ids[p.Id].Index}].id ({p.Id})");
            if (p.Psk is not null && !psks.TryAdd(Convert.ToHexString(p.Psk), p))
                Error($"peers[{p.Index}].psk", $"duplicate of peers[{psks[Convert.ToHexString(p.Psk)].Index}].psk: every link needs its own PSK");
            if (p.PublicKey is not null && !publicKeys.TryAdd(Convert.ToHexString(p.PublicKey), p))
                Error($"peers[{p.Index}].public_key", $"duplicate of peers[{publicKeys[Convert.ToHexString(p.PublicKey)].Index}].public_key");
            if (EndpointKey(p.Endpoint) is string key && !endpoints.TryAdd(key, p))
                Error($"peers[{p.Index}].endpoint", $"duplicate of peers[{endpoints[key].Index}].endpoint ({endpoints[key].Endpoint})");
        }
    }

    /// <summary>Same port and the same address, or the same host name (case-insensitive) for names.</summary>
    private static string? EndpointKey(PeerEndpoint? e) =>
        e is null ? null
        : e.Address is not null ? $"ip {e.Address}:{e.Port}"
        : $"host {e.Host.ToLowerInvariant()}:{e.Port}";

    /// <summary>
    /// The validated peers; a peer without allowed_src may send from the virtual subnet (a spoke's hub also from
    /// the remote routes).
    /// </summary>
    private static List<PeerConfig> BuildPeers(List<PeerDraft> peers, NodeRole r, IPNetwork virtualSubnet, List<IPNetwork> remoteRoutes)
    {
        var finalPeers = new List<PeerConfig>(peers.Count);
        foreach (var p in peers)
        {
            IReadOnlyList<IPNetwork> effective = p.AllowedSrc.Count > 0 ? p.AllowedSrc
                : r == NodeRole.Spoke ? Distinct([virtualSubnet, .. remoteRoutes])
                : [virtualSubnet];
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
        return finalPeers;
    }

    private static List<IPNetwork> Distinct(IEnumerable<IPNetwork> nets)
    {
        var list = new List<IPNetwork>();
        foreach (var n in nets) if (!list.Contains(n)) list.Add(n);
        return list;
    }
}
