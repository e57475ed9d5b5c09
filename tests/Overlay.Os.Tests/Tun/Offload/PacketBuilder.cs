namespace Overlay.Os.Tests.Tun.Offload;

/// <summary>
/// Hand-built IPv4/IPv6 TCP/UDP packets and an independent checksum reference for the
/// offload tests. Deliberately naive (byte-by-byte, big-endian words, no shared code with
/// src/Os/Tun/Offload) so a bug in the production checksum cannot hide behind the same bug here.
/// </summary>
internal static class PacketBuilder
{
    public static readonly byte[] Src4 = [198, 18, 1, 2], Dst4 = [198, 18, 2, 3];
    public static readonly byte[] Src6 = [0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02];
    public static readonly byte[] Dst6 = [0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03];

    public const int IpTcp = 6, IpUdp = 17;

    /// <summary>RFC 1071, the textbook way: 16-bit big-endian words, end-around carry, complement.</summary>
    public static int RefChecksum(IEnumerable<byte> bytes)
    {
        long sum = 0;
        int i = 0, hi = 0;
        foreach (byte b in bytes)
        {
            if ((i & 1) == 0) hi = b;
            else sum += (hi << 8) | b;
            i++;
        }
        if ((i & 1) == 1) sum += hi << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (~(int)sum) & 0xFFFF;
    }

    public static int Be16(byte[] p, int at) => (p[at] << 8) | p[at + 1];
    public static uint Be32(byte[] p, int at) => (uint)((p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3]);

    public static bool IsV6(byte[] p) => p[0] >> 4 == 6;
    public static int IpHeaderLength(byte[] p) => IsV6(p) ? 40 : (p[0] & 15) * 4;
    public static int ProtocolOf(byte[] p) => IsV6(p) ? p[6] : p[9];

    /// <summary>The pseudo-header bytes for this packet's addresses, protocol and L4 length.</summary>
    public static byte[] PseudoHeader(byte[] p, int l4Length)
    {
        if (IsV6(p))
        {
            var ph = new byte[40];
            Array.Copy(p, 8, ph, 0, 32);
            ph[32] = (byte)(l4Length >> 24); ph[33] = (byte)(l4Length >> 16); ph[34] = (byte)(l4Length >> 8); ph[35] = (byte)l4Length;
            ph[39] = (byte)ProtocolOf(p);
            return ph;
        }
        var h = new byte[12];
        Array.Copy(p, 12, h, 0, 8);
        h[9] = (byte)ProtocolOf(p);
        h[10] = (byte)(l4Length >> 8); h[11] = (byte)l4Length;
        return h;
    }

    /// <summary>True when the L4 checksum of the whole packet verifies (sum including the field is 0xFFFF).</summary>
    public static bool L4ChecksumValid(byte[] p)
    {
        int ip = IpHeaderLength(p);
        int l4Len = p.Length - ip;
        return RefChecksum(PseudoHeader(p, l4Len).Concat(p.Skip(ip))) == 0;
    }

    public static bool Ipv4HeaderChecksumValid(byte[] p) => RefChecksum(p.Take(IpHeaderLength(p))) == 0;

    /// <summary>The L4 checksum field value the packet should carry.</summary>
    public static void FillChecksums(byte[] p)
    {
        int ip = IpHeaderLength(p);
        if (!IsV6(p))
        {
            p[10] = p[11] = 0;
            int h = RefChecksum(p.Take(ip));
            p[10] = (byte)(h >> 8); p[11] = (byte)h;
        }
        int at = ip + (ProtocolOf(p) == IpTcp ? 16 : 6);
        p[at] = p[at + 1] = 0;
        int c = RefChecksum(PseudoHeader(p, p.Length - ip).Concat(p.Skip(ip)));
        if (c == 0 && ProtocolOf(p) == IpUdp) c = 0xFFFF;
        p[at] = (byte)(c >> 8); p[at + 1] = (byte)c;
    }

    public static byte[] Payload(int length, int seed = 1)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 7 + seed * 13 + (i >> 8));
        return b;
    }

    /// <summary>
    /// A packet with valid checksums. <paramref name="ipOptions"/> (IPv4 only, multiple of 4)
    /// and <paramref name="tcpOptions"/> (multiple of 4) go in as given.
    /// </summary>
    public static byte[] Build(bool v6, int protocol, byte[] payload, uint seq = 1000, uint ack = 5000,
        byte tcpFlags = 0x18, ushort id = 0x1234, byte[]? ipOptions = null, byte[]? tcpOptions = null,
        byte ttl = 64, byte tos = 0, ushort srcPort = 40000, ushort dstPort = 5201)
    {
        ipOptions ??= [];
        tcpOptions ??= [];
        int ipHl = v6 ? 40 : 20 + ipOptions.Length;
        int l4Hl = protocol == IpTcp ? 20 + tcpOptions.Length : 8;
        var p = new byte[ipHl + l4Hl + payload.Length];
        if (v6)
        {
            p[0] = (byte)(0x60 | (tos >> 4)); p[1] = (byte)(tos << 4);
            int pl = p.Length - 40;
            p[4] = (byte)(pl >> 8); p[5] = (byte)pl;
            p[6] = (byte)protocol; p[7] = ttl;
            Array.Copy(Src6, 0, p, 8, 16); Array.Copy(Dst6, 0, p, 24, 16);
        }
        else
        {
            p[0] = (byte)(0x40 | (ipHl / 4)); p[1] = tos;
            p[2] = (byte)(p.Length >> 8); p[3] = (byte)p.Length;
            p[4] = (byte)(id >> 8); p[5] = (byte)id;
            p[6] = 0x40; // DF
            p[8] = ttl; p[9] = (byte)protocol;
            Array.Copy(Src4, 0, p, 12, 4); Array.Copy(Dst4, 0, p, 16, 4);
            Array.Copy(ipOptions, 0, p, 20, ipOptions.Length);
        }
        int l4 = ipHl;
        p[l4] = (byte)(srcPort >> 8); p[l4 + 1] = (byte)srcPort;
        p[l4 + 2] = (byte)(dstPort >> 8); p[l4 + 3] = (byte)dstPort;
        if (protocol == IpTcp)
        {
            p[l4 + 4] = (byte)(seq >> 24); p[l4 + 5] = (byte)(seq >> 16); p[l4 + 6] = (byte)(seq >> 8); p[l4 + 7] = (byte)seq;
            p[l4 + 8] = (byte)(ack >> 24); p[l4 + 9] = (byte)(ack >> 16); p[l4 + 10] = (byte)(ack >> 8); p[l4 + 11] = (byte)ack;
            p[l4 + 12] = (byte)((l4Hl / 4) << 4);
            p[l4 + 13] = tcpFlags;
            p[l4 + 14] = 0xFF; p[l4 + 15] = 0xF0; // window
            Array.Copy(tcpOptions, 0, p, l4 + 20, tcpOptions.Length);
        }
        else
        {
            int ul = p.Length - l4;
            p[l4 + 4] = (byte)(ul >> 8); p[l4 + 5] = (byte)ul;
        }
        Array.Copy(payload, 0, p, ipHl + l4Hl, payload.Length);
        FillChecksums(p);
        return p;
    }

    /// <summary>TCP timestamp option padded to 12 bytes (NOP NOP TS).</summary>
    public static byte[] TimestampOption(uint tsval) =>
        [1, 1, 8, 10, (byte)(tsval >> 24), (byte)(tsval >> 16), (byte)(tsval >> 8), (byte)tsval, 0, 0, 0, 7];
}
