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
    private readonly PrefixMap _map = new();

    public AllowedSources(IEnumerable<IPNetwork> prefixes)
    {
        var list = prefixes is ICollection<IPNetwork> c ? new List<IPNetwork>(c.Count) : new List<IPNetwork>();
        foreach (var p in prefixes)
            if (_map.Add(p, 0)) list.Add(p);
        Prefixes = list;
    }

    /// <summary>Built from <see cref="PeerConfig.EffectiveAllowedSources"/>.</summary>
    public static AllowedSources ForPeer(PeerConfig peer) => new(peer.EffectiveAllowedSources);

    public IReadOnlyList<IPNetwork> Prefixes { get; }

    /// <summary>True when the 4- or 16-byte source address lies in one of the prefixes.</summary>
    public bool Contains(ReadOnlySpan<byte> source) => _map.Lookup(source) >= 0;
}
