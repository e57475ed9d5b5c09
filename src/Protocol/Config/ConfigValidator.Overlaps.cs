using System.Net;
using System.Net.Sockets;

namespace Overlay.Protocol.Config;

/// <summary>
/// A hub's allowed_src must be disjoint between peers: a destination names exactly one spoke. Checked in
/// O(n log n) for n prefixes: two CIDR prefixes overlap only when one contains the other, so after sorting by
/// (family, first address, prefix length) every prefix's containers are the open prefixes of a sweep, a stack
/// at most 129 deep.
/// </summary>
internal sealed partial class ConfigValidator
{
    private readonly record struct SrcRange(bool V6, UInt128 First, UInt128 Last, int Length, int Peer, int Item);

    private void CheckHubOverlaps(List<PeerDraft> peers)
    {
        var spans = new List<SrcRange>();
        for (int i = 0; i < peers.Count; i++)
            for (int k = 0; k < peers[i].AllowedSrc.Count; k++)
            {
                IPNetwork n = peers[i].AllowedSrc[k];
                if (n.PrefixLength == 0) continue;   // reported as too broad already
                spans.Add(ToRange(n, i, k));
            }
        spans.Sort(static (a, b) =>
            a.V6 != b.V6 ? a.V6.CompareTo(b.V6)
            : a.First != b.First ? a.First.CompareTo(b.First)
            : a.Length != b.Length ? a.Length.CompareTo(b.Length)
            : a.Peer != b.Peer ? a.Peer.CompareTo(b.Peer)
            : a.Item.CompareTo(b.Item));

        // Overlapping pairs as (later peer, its item, earlier peer, its item), reported in config order.
        var pairs = new List<(int Peer, int Item, int Other, int OtherItem)>();
        var open = new List<SrcRange>();
        foreach (SrcRange s in spans)
        {
            while (open.Count > 0 && (open[^1].V6 != s.V6 || open[^1].Last < s.First)) open.RemoveAt(open.Count - 1);
            foreach (SrcRange container in open)
            {
                if (container.Peer == s.Peer) continue;
                pairs.Add(container.Peer > s.Peer
                    ? (container.Peer, container.Item, s.Peer, s.Item)
                    : (s.Peer, s.Item, container.Peer, container.Item));
            }
            open.Add(s);
        }
        pairs.Sort();
        foreach (var (peer, item, other, otherItem) in pairs)
        {
            IPNetwork x = peers[peer].AllowedSrc[item], y = peers[other].AllowedSrc[otherItem];
            Error(peers[peer].AllowedSrcPath(item),
                $"{x} overlaps {peers[other].AllowedSrcPath(otherItem)} ({y}); a hub peer's allowed_src must be disjoint from every other peer's");
        }
    }

    private static SrcRange ToRange(IPNetwork n, int peer, int item)
    {
        bool v6 = n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        int bits = v6 ? 128 : 32;
        Span<byte> bytes = stackalloc byte[16];
        n.BaseAddress.TryWriteBytes(bytes, out int written);
        UInt128 value = 0;
        for (int b = 0; b < written; b++) value = (value << 8) | bytes[b];
        int host = bits - n.PrefixLength;
        UInt128 hostMask = host == 128 ? UInt128.MaxValue : (UInt128.One << host) - 1;
        UInt128 first = value & ~hostMask;
        return new SrcRange(v6, first, first | hostMask, n.PrefixLength, peer, item);
    }
}
