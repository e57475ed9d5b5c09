using System.Buffers.Binary;

namespace Overlay.Os.Tun.Offload;

/// <summary>
/// struct virtio_net_hdr (linux/virtio_net.h, 10 bytes), which a tun opened with IFF_VNET_HDR
/// puts before every packet in both directions. Its 16-bit fields are in the device's virtio
/// byte order: little-endian for a tun unless TUNSETVNETBE is set (drivers/net/tun.c,
/// tun_is_little_endian), and we never set it.
/// <list type="bullet">
/// <item><c>flags</c>: <see cref="FlagNeedsCsum"/> means the L4 checksum at
///   <c>csum_start + csum_offset</c> holds only the pseudo-header sum and must be completed over
///   <c>[csum_start, end)</c>; <see cref="FlagDataValid"/> means the checksum was already verified.</item>
/// <item><c>gso_type</c>: <see cref="GsoNone"/>, <see cref="GsoTcpV4"/>, <see cref="GsoTcpV6"/>,
///   <see cref="GsoUdpL4"/> (USO), optionally or'ed with <see cref="GsoEcn"/>.</item>
/// <item><c>hdr_len</c>: bytes of headers (a hint; recomputed from the packet when splitting).</item>
/// <item><c>gso_size</c>: L4 payload bytes per segment.</item>
/// </list>
/// </summary>
internal struct VirtioNetHeader
{
    public const int Length = 10;

    public const byte FlagNeedsCsum = 1;
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;      // UFO (fragmentation), never requested, refused on read
    public const byte GsoTcpV6 = 4;
    public const byte GsoUdpL4 = 5;
    public const byte GsoEcn = 0x80;

    public byte Flags;
    public byte GsoType;
    public ushort HdrLen;
    public ushort GsoSize;
    public ushort CsumStart;
    public ushort CsumOffset;

    /// <summary>gso_type without the ECN bit.</summary>
    public readonly byte GsoKind => (byte)(GsoType & ~GsoEcn);

    public readonly bool NeedsCsum => (Flags & FlagNeedsCsum) != 0;

    /// <summary>Parses the first 10 bytes; false when fewer are present.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Length)
        {
            header = default;
            return false;
        }
        header = new VirtioNetHeader
        {
            Flags = source[0],
            GsoType = source[1],
            HdrLen = BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            GsoSize = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            CsumStart = BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            CsumOffset = BinaryPrimitives.ReadUInt16LittleEndian(source[8..]),
        };
        return true;
    }

    /// <summary>Writes the 10 bytes to <paramref name="destination"/>.</summary>
    public readonly void Write(Span<byte> destination)
    {
        destination = destination[..Length];
        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HdrLen);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], CsumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], CsumOffset);
    }

    /// <summary>A header that says "one plain packet, checksums complete" (all zero).</summary>
    public static void WriteNone(Span<byte> destination) => destination[..Length].Clear();
}
