using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Os.Tun.Offload;

/// <summary>
/// The Internet checksum (RFC 1071): the one's-complement sum of 16-bit big-endian words,
/// complemented. Partial sums are carried as a <see cref="uint"/> holding a folded 16-bit
/// value in network order, so pieces (pseudo-header, header, payload chunk) add up with
/// <see cref="Add"/> in any order as long as each piece starts on an even offset of the
/// checksummed range.
///
/// The bulk loop reads 8 bytes at a time in native order and adds the two halves into a
/// 64-bit accumulator (RFC 1071 §2: the sum is independent of byte order up to a final swap,
/// and of the word size up to a final fold), so it runs at a few bytes per cycle.
/// </summary>
internal static class InternetChecksum
{
    /// <summary>The folded one's-complement sum of <paramref name="data"/> (network order, 0..0xFFFF), plus <paramref name="initial"/>.</summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        ulong acc = 0;
        ref byte start = ref MemoryMarshal.GetReference(data);
        int n = data.Length, i = 0;
        for (; i + 32 <= n; i += 32)
        {
            ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 8));
            ulong c = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 16));
            ulong d = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 24));
            acc += (uint)a + (a >> 32) + (uint)b + (b >> 32) + (uint)c + (c >> 32) + (uint)d + (d >> 32);
        }
        for (; i + 8 <= n; i += 8)
        {
            ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            acc += (uint)a + (a >> 32);
        }
        for (; i + 2 <= n; i += 2)
            acc += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
        if (i < n)
        {
            // A trailing odd byte is the high byte of a zero-padded big-endian word, which is
            // the low byte of a native little-endian word.
            byte last = Unsafe.Add(ref start, i);
            acc += BitConverter.IsLittleEndian ? last : (uint)last << 8;
        }
        uint folded = Fold(acc);
        if (BitConverter.IsLittleEndian) folded = BinaryPrimitives.ReverseEndianness((ushort)folded);
        return Add(folded, initial);
    }

    /// <summary>One's-complement addition of two partial sums.</summary>
    public static uint Add(uint a, uint b) => Fold((ulong)a + b);

    /// <summary>The one's-complement sum of a 16-bit value (network order) into a partial sum.</summary>
    public static uint AddWord(uint sum, ushort word) => Fold((ulong)sum + word);

    /// <summary>The checksum field value for a partial sum: its complement.</summary>
    public static ushort Finish(uint sum) => (ushort)~Fold(sum);

    /// <summary>The IPv4 pseudo-header sum (RFC 793 §3.1, RFC 768): addresses, protocol, L4 length.</summary>
    public static uint PseudoHeaderV4(ReadOnlySpan<byte> source4, ReadOnlySpan<byte> destination4, byte protocol, int l4Length)
    {
        ulong acc = (ulong)BinaryPrimitives.ReadUInt16BigEndian(source4) + BinaryPrimitives.ReadUInt16BigEndian(source4[2..])
            + BinaryPrimitives.ReadUInt16BigEndian(destination4) + BinaryPrimitives.ReadUInt16BigEndian(destination4[2..])
            + protocol + (uint)(ushort)l4Length + ((uint)l4Length >> 16);
        return Fold(acc);
    }

    /// <summary>The IPv6 pseudo-header sum (RFC 8200 §8.1): addresses, upper-layer length (32 bits), next header.</summary>
    public static uint PseudoHeaderV6(ReadOnlySpan<byte> source16, ReadOnlySpan<byte> destination16, byte nextHeader, int l4Length)
    {
        uint s = Sum(source16[..16]);
        s = Sum(destination16[..16], s);
        return Fold((ulong)s + ((uint)l4Length >> 16) + (ushort)l4Length + nextHeader);
    }

    private static uint Fold(ulong acc)
    {
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        uint s = (uint)acc;
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        return s;
    }
}
