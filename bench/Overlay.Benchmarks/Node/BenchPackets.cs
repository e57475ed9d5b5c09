using System.Buffers.Binary;

namespace Overlay.Benchmarks.Node;

/// <summary>Inner packets the node benchmarks push through the tun.</summary>
internal static class BenchPackets
{
    /// <summary>A <paramref name="total"/>-byte IPv4/UDP packet (TTL 64) from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public static byte[] Ipv4(int total, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        var p = new byte[total];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)total);
        p[8] = 64;
        p[9] = 17;
        source.CopyTo(p.AsSpan(12, 4));
        destination.CopyTo(p.AsSpan(16, 4));
        for (int i = 20; i < total; i++) p[i] = (byte)i;
        return p;
    }
}
