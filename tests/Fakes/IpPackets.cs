using System.Buffers.Binary;
using System.Net;

namespace Overlay.Tests.Fakes;

/// <summary>Builds small, well-formed IP packets for in-process tests.</summary>
public static class IpPackets
{
    /// <summary>An IPv4/UDP packet (header checksum filled in; UDP checksum 0 = none).</summary>
    public static byte[] Udp4(string source, string destination, ReadOnlySpan<byte> payload, ushort srcPort = 40000, ushort dstPort = 9)
    {
        var p = new byte[20 + 8 + payload.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;      // TTL
        p[9] = 17;      // UDP
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(12, 4), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(16, 4), out _);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(i));
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), (ushort)~sum);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(p.AsSpan(28));
        return p;
    }

    /// <summary>An IPv6/UDP packet (no extension headers).</summary>
    public static byte[] Udp6(string source, string destination, ReadOnlySpan<byte> payload)
    {
        var p = new byte[40 + 8 + payload.Length];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(8 + payload.Length));
        p[6] = 17;
        p[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(p.AsSpan(8, 16), out _);
        IPAddress.Parse(destination).TryWriteBytes(p.AsSpan(24, 16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(44), (ushort)(8 + payload.Length));
        payload.CopyTo(p.AsSpan(48));
        return p;
    }

    public static IPAddress Source(ReadOnlySpan<byte> p) => p[0] >> 4 == 4 ? new IPAddress(p.Slice(12, 4)) : new IPAddress(p.Slice(8, 16));
    public static IPAddress Destination(ReadOnlySpan<byte> p) => p[0] >> 4 == 4 ? new IPAddress(p.Slice(16, 4)) : new IPAddress(p.Slice(24, 16));
}
