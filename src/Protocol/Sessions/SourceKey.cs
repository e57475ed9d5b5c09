using System.Buffers.Binary;
using Overlay.Protocol;

namespace Overlay.Protocol.Sessions;

/// <summary>
/// The unit a source-based defence counts: an IPv4 address (/32) or an IPv6 /64, port ignored. The kernel's
/// <c>ratelimiter.c</c> keys IPv6 by the first 64 bits because one host is routinely given a whole /64, so
/// keying by the full address would let it take 2^64 separate buckets. An IPv4 key is the v4-mapped address
/// (low half non-zero, ::ffff:a.b.c.d); an IPv6 key has a zero low half, so the two never collide.
/// </summary>
public readonly record struct SourceKey(ulong High, ulong Low)
{
    public static SourceKey Of(in UdpEndpoint source)
    {
        Span<byte> a = stackalloc byte[16];
        int n = source.WriteAddress(a);
        if (n == 4) return new SourceKey(0, 0x0000_FFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(a));
        return new SourceKey(BinaryPrimitives.ReadUInt64BigEndian(a), 0);
    }
}
