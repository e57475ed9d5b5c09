using System.Buffers.Binary;

namespace Overlay.Os.Tun.Offload;

/// <summary>
/// The layout of an IPv4 or IPv6 packet carrying TCP or UDP directly (no IPv6 extension
/// headers, no fragment): where the transport header starts, how long it is and how much
/// payload follows. Offsets only; the packet stays where it is.
/// </summary>
internal readonly struct L4Packet
{
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    public const int Ipv4MinHeader = 20;
    public const int Ipv6Header = 40;
    public const int TcpMinHeader = 20;
    public const int UdpHeader = 8;

    public bool IsV6 { get; init; }
    public byte Protocol { get; init; }
    public int IpHeaderLength { get; init; }
    public int L4HeaderLength { get; init; }

    /// <summary>IP header plus transport header.</summary>
    public int HeaderLength => IpHeaderLength + L4HeaderLength;

    /// <summary>
    /// Parses <paramref name="packet"/> (its whole length is the packet). False for anything that
    /// is not TCP/UDP over IPv4/IPv6, an IPv4 fragment, IPv6 with extension headers, IPv4 options
    /// when <paramref name="allowIpv4Options"/> is false, or a header that does not fit.
    /// Length fields in the IP header are not checked here: a GSO super-packet's may be stale.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, bool allowIpv4Options, out L4Packet info)
    {
        info = default;
        if (packet.Length < Ipv4MinHeader) return false;
        int version = packet[0] >> 4;
        int ipHl;
        byte protocol;
        bool v6;
        if (version == 4)
        {
            ipHl = (packet[0] & 0x0F) * 4;
            if (ipHl < Ipv4MinHeader || (ipHl != Ipv4MinHeader && !allowIpv4Options)) return false;
            // MF set or a non-zero fragment offset: a fragment, whose L4 header may be elsewhere.
            if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0) return false;
            protocol = packet[9];
            v6 = false;
        }
        else if (version == 6)
        {
            ipHl = Ipv6Header;
            protocol = packet.Length >= Ipv6Header ? packet[6] : (byte)0;
            v6 = true;
        }
        else return false;

        int l4Hl;
        if (protocol == ProtocolTcp)
        {
            if (packet.Length < ipHl + TcpMinHeader) return false;
            l4Hl = (packet[ipHl + 12] >> 4) * 4;
            if (l4Hl < TcpMinHeader) return false;
        }
        else if (protocol == ProtocolUdp) l4Hl = UdpHeader;
        else return false;
        if (packet.Length < ipHl + l4Hl) return false;
        info = new L4Packet { IsV6 = v6, Protocol = protocol, IpHeaderLength = ipHl, L4HeaderLength = l4Hl };
        return true;
    }

    /// <summary>The pseudo-header sum for an L4 length of <paramref name="l4Length"/>.</summary>
    public uint PseudoHeaderSum(ReadOnlySpan<byte> packet, int l4Length) => IsV6
        ? InternetChecksum.PseudoHeaderV6(packet.Slice(8, 16), packet.Slice(24, 16), Protocol, l4Length)
        : InternetChecksum.PseudoHeaderV4(packet.Slice(12, 4), packet.Slice(16, 4), Protocol, l4Length);

    /// <summary>Offset of the L4 checksum field.</summary>
    public int ChecksumOffset => IpHeaderLength + (Protocol == ProtocolTcp ? 16 : 6);

    /// <summary>Rewrites the IPv4 header checksum over the header as it is now.</summary>
    public static void WriteIpv4HeaderChecksum(Span<byte> packet, int ipHeaderLength)
    {
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Finish(InternetChecksum.Sum(packet[..ipHeaderLength])));
    }

    /// <summary>
    /// Sets the IP length field for a packet of <paramref name="totalLength"/> bytes (IPv4 total
    /// length and header checksum, or IPv6 payload length).
    /// </summary>
    public void WriteIpLength(Span<byte> packet, int totalLength)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(totalLength - Ipv6Header));
            return;
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)totalLength);
        WriteIpv4HeaderChecksum(packet, IpHeaderLength);
    }
}
