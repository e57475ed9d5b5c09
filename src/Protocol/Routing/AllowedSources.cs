using System.Net;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Routing;

/// <summary>
/// The inner source addresses accepted from one peer (WireGuard's cryptokey routing, §2 of the
/// paper: a decrypted packet whose source is outside the sender's allowed IPs is dropped;
/// counted as <c>inner_source_spoofed</c>). <see cref="Contains"/> allocates nothing.
/// </summary>
public sealed class AllowedSources
{
    private readonly PrefixMap _map;
    private readonly int _owner;

    public AllowedSources(IEnumerable<IPNetwork> prefixes)
    {
        _map = new PrefixMap();
        var list = prefixes is ICollection<IPNetwork> c ? new List<IPNetwork>(c.Count) : new List<IPNetwork>();
        foreach (var p in prefixes)
            if (_map.Add(p, 0)) list.Add(p);
        Prefixes = list;
    }

    private AllowedSources(PrefixMap everyPeer, int owner, IReadOnlyList<IPNetwork> prefixes)
    {
        _map = everyPeer;
        _owner = owner;
        Prefixes = prefixes;
    }

    /// <summary>
    /// Plain WireGuard's check (wireguard-go: <c>allowedips.Lookup(src) == peer</c>), one instance
    /// per owner over one shared map of every owner's prefixes: a source is accepted from the owner
    /// its longest match belongs to. So a more specific prefix given to another peer takes that
    /// address away from this one, although its own wider prefix still covers it (netns.sh's
    /// crypto-RP filter). A prefix listed by two owners goes to the first.
    /// </summary>
    public static AllowedSources[] ByLongestMatch(IReadOnlyList<IReadOnlyList<IPNetwork>> prefixesByOwner)
    {
        var everyPeer = new PrefixMap();
        var result = new AllowedSources[prefixesByOwner.Count];
        for (int i = 0; i < prefixesByOwner.Count; i++)
        {
            var own = new List<IPNetwork>();
            foreach (IPNetwork p in prefixesByOwner[i])
                if (everyPeer.Add(p, i)) own.Add(p);
            result[i] = new AllowedSources(everyPeer, i, own);
        }
        return result;
    }

    /// <summary>Built from <see cref="PeerConfig.EffectiveAllowedSources"/>.</summary>
    public static AllowedSources ForPeer(PeerConfig peer) => new(peer.EffectiveAllowedSources);

    public IReadOnlyList<IPNetwork> Prefixes { get; }

    /// <summary>True when the 4- or 16-byte source address lies in one of the prefixes (with <see cref="ByLongestMatch"/>: when its longest match is the owner's).</summary>
    public bool Contains(ReadOnlySpan<byte> source)
    {
        int owner = _map.Lookup(source);
        return owner >= 0 && owner == _owner;
    }
}
