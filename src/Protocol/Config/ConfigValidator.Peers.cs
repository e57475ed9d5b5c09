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
                if (SameEndpoint(p.Endpoint, q.Endpoint))
                    Error($"peers[{p.Index}].endpoint", $"duplicate of peers[{q.Index}].endpoint ({q.Endpoint})");
            }
        }
    }

    /// <summary>Same port and the same address, or the same host name (case-insensitive) when either is a name.</summary>
    private static bool SameEndpoint(PeerEndpoint? p, PeerEndpoint? q) =>
        p is not null && q is not null
        && p.Port == q.Port
        && (p.Address is not null && q.Address is not null
            ? p.Address.Equals(q.Address)
            : string.Equals(p.Host, q.Host, StringComparison.OrdinalIgnoreCase));

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
