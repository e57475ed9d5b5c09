using Overlay.Tests.Fakes;
using Overlay.Os.Tun.Offload;
using static Overlay.Os.Tests.Tun.Offload.PacketBuilder;

namespace Overlay.Os.Tests.Tun.Offload;

public sealed class GsoSplitterTests
{
    private const int Stride = 2048;

    internal static VirtioNetHeader GsoHeader(byte[] super, int gsoSize)
    {
        bool v6 = IsV6(super);
        int proto = ProtocolOf(super);
        int ip = IpHeaderLength(super);
        return new VirtioNetHeader
        {
            Flags = VirtioNetHeader.FlagNeedsCsum,
            GsoType = proto == IpUdp ? VirtioNetHeader.GsoUdpL4 : v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            HdrLen = (ushort)(ip + (proto == IpTcp ? (super[ip + 12] >> 4) * 4 : 8)),
            GsoSize = (ushort)gsoSize,
            CsumStart = (ushort)ip,
            CsumOffset = (ushort)(proto == IpTcp ? 16 : 6),
        };
    }

    /// <summary>What the kernel hands over: the checksum field holds only a partial sum, here garbage.</summary>
    private static byte[] SuperPacket(bool v6, int proto, int payload, byte tcpFlags = 0x18, byte[]? tcpOptions = null, byte[]? ipOptions = null)
    {
        byte[] p = Build(v6, proto, Payload(payload), seq: 0xFFFF_F000, tcpFlags: tcpFlags, id: 0xFFFE,
            tcpOptions: tcpOptions, ipOptions: ipOptions);
        int at = IpHeaderLength(p) + (proto == IpTcp ? 16 : 6);
        p[at] = 0xAB; p[at + 1] = 0xCD;
        return p;
    }

    private static List<byte[]> SplitAll(byte[] super, VirtioNetHeader h)
    {
        var output = new byte[64 * Stride];
        var lengths = new int[64];
        Assert.Equal(OffloadStatus.Ok, GsoSplitter.Split(super, h, output, Stride, lengths, out int count));
        return Enumerable.Range(0, count).Select(i => output.AsSpan(i * Stride, lengths[i]).ToArray()).ToList();
    }

    // v6, protocol, payload bytes, gso_size, tcp options length
    [Theory]
    [InlineData(false, IpTcp, 4000, 1000, 0)]     // payload a multiple of gso_size
    [InlineData(false, IpTcp, 4321, 1000, 0)]     // last segment shorter
    [InlineData(false, IpTcp, 1000, 1000, 0)]     // payload exactly gso_size: one segment
    [InlineData(false, IpTcp, 65495, 1380, 12)]   // the largest IPv4 super-packet, timestamps
    [InlineData(false, IpTcp, 2801, 1368, 12)]    // options in the TCP header
    [InlineData(true, IpTcp, 4000, 1000, 0)]
    [InlineData(true, IpTcp, 5555, 1360, 12)]
    [InlineData(true, IpTcp, 65000, 1360, 0)]
    [InlineData(false, IpUdp, 3000, 1200, 0)]
    [InlineData(false, IpUdp, 1200, 1200, 0)]
    [InlineData(true, IpUdp, 2501, 1252, 0)]
    public void Split_SuperPacket_YieldsValidSegments(bool v6, int proto, int payload, int gsoSize, int tcpOptionBytes)
    {
        byte[]? options = tcpOptionBytes == 0 ? null : TimestampOption(77);
        byte[] super = SuperPacket(v6, proto, payload, tcpOptions: options);
        int ip = IpHeaderLength(super);
        int hdr = ip + (proto == IpTcp ? 20 + tcpOptionBytes : 8);
        List<byte[]> segs = SplitAll(super, GsoHeader(super, gsoSize));

        Assert.Equal((payload + gsoSize - 1) / gsoSize, segs.Count);
        var joined = new List<byte>();
        for (int i = 0; i < segs.Count; i++)
        {
            byte[] s = segs[i];
            int chunk = Math.Min(gsoSize, payload - i * gsoSize);
            Assert.Equal(hdr + chunk, s.Length);
            if (v6) Assert.Equal(s.Length - 40, Be16(s, 4));
            else
            {
                Assert.Equal(s.Length, Be16(s, 2));
                Assert.Equal((0xFFFE + i) & 0xFFFF, Be16(s, 4));
                Assert.True(Ipv4HeaderChecksumValid(s), $"IPv4 header checksum of segment {i}");
            }
            if (proto == IpTcp) Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * gsoSize)), Be32(s, ip + 4));  // wraps
            else Assert.Equal(s.Length - ip, Be16(s, ip + 4));
            Assert.True(L4ChecksumValid(s), $"L4 checksum of segment {i}");
            Assert.Equal(super.AsSpan(ip, proto == IpTcp ? 4 : 4).ToArray(), s.AsSpan(ip, 4).ToArray()); // ports
            joined.AddRange(s.Skip(hdr));
        }
        Assert.Equal(super.Skip(hdr), joined);
    }

    [Fact]
    public void Split_TcpFlags_FinPshOnlyOnLastCwrOnlyOnFirst()
    {
        const byte fin = 0x01, psh = 0x08, ack = 0x10, cwr = 0x80;
        byte[] super = SuperPacket(false, IpTcp, 3000, tcpFlags: fin | psh | ack | cwr);
        List<byte[]> segs = SplitAll(super, GsoHeader(super, 1000));
        Assert.Equal(new byte[] { ack | cwr, ack, ack | fin | psh }, segs.Select(s => s[20 + 13]).ToArray());
        Assert.All(segs, s => Assert.True(L4ChecksumValid(s)));
    }

    [Fact]
    public void Split_Ipv4WithOptions_CopiesOptionsIntoEverySegment()
    {
        byte[] ipOptions = [0x94, 0x04, 0x00, 0x00]; // Router Alert
        byte[] super = SuperPacket(false, IpTcp, 2500, ipOptions: ipOptions);
        List<byte[]> segs = SplitAll(super, GsoHeader(super, 1000));
        Assert.Equal(3, segs.Count);
        Assert.All(segs, s =>
        {
            Assert.Equal(0x46, s[0]);
            Assert.Equal(ipOptions, s.AsSpan(20, 4).ToArray());
            Assert.True(Ipv4HeaderChecksumValid(s));
            Assert.True(L4ChecksumValid(s));
        });
    }

    [Theory]
    [InlineData(IpTcp, false)]
    [InlineData(IpTcp, true)]
    [InlineData(IpUdp, false)]
    [InlineData(IpUdp, true)]
    public void Split_PlainPacketNeedingChecksum_CompletesIt(int proto, bool v6)
    {
        byte[] p = Build(v6, proto, Payload(777));
        int ip = IpHeaderLength(p);
        int at = ip + (proto == IpTcp ? 16 : 6);
        // What the kernel leaves for CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented.
        int partial = (~RefChecksum(PseudoHeader(p, p.Length - ip))) & 0xFFFF;
        p[at] = (byte)(partial >> 8); p[at + 1] = (byte)partial;
        Assert.False(L4ChecksumValid(p));
        var h = new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsCsum, CsumStart = (ushort)ip, CsumOffset = (ushort)(at - ip) };
        List<byte[]> segs = SplitAll(p, h);
        Assert.Single(segs);
        Assert.True(L4ChecksumValid(segs[0]));
    }

    [Fact]
    public void Split_PlainPacketWithoutFlags_CopiesUnchanged()
    {
        byte[] p = Build(false, IpUdp, Payload(100));
        List<byte[]> segs = SplitAll(p, default);
        Assert.Equal(p, Assert.Single(segs));
    }

    [Fact]
    public void Split_Refusals_NameTheProblem()
    {
        byte[] tcp4 = SuperPacket(false, IpTcp, 3000);
        byte[] tcp6 = SuperPacket(true, IpTcp, 3000);
        var output = new byte[64 * Stride];
        var lengths = new int[64];
        OffloadStatus Run(byte[] p, VirtioNetHeader h, int stride = Stride, int slots = 64) =>
            GsoSplitter.Split(p, h, output, stride, lengths.AsSpan(0, slots), out _);

        var h4 = GsoHeader(tcp4, 1000);
        Assert.Equal(OffloadStatus.UnsupportedGso, Run(tcp4, h4 with { GsoType = VirtioNetHeader.GsoUdp }));
        Assert.Equal(OffloadStatus.UnsupportedGso, Run(tcp6, h4 with { CsumStart = 40 }));        // TCPV4 on IPv6
        Assert.Equal(OffloadStatus.UnsupportedGso, Run(tcp4, h4 with { GsoType = VirtioNetHeader.GsoUdpL4 }));
        Assert.Equal(OffloadStatus.BadHeader, Run(tcp4, h4 with { GsoSize = 0 }));
        Assert.Equal(OffloadStatus.BadHeader, Run(tcp4, h4 with { CsumStart = 24 }));
        Assert.Equal(OffloadStatus.OutputTooSmall, Run(tcp4, h4, stride: 1000));
        Assert.Equal(OffloadStatus.OutputTooSmall, Run(tcp4, h4, slots: 2));
        Assert.Equal(OffloadStatus.BadPacket, Run(tcp4.AsSpan(0, 30).ToArray(), h4));
        byte[] hopByHop = (byte[])tcp6.Clone();
        hopByHop[6] = 0; // an extension header first: refused, not guessed at
        Assert.Equal(OffloadStatus.BadPacket, Run(hopByHop, GsoHeader(tcp6, 1000)));
        Assert.Equal(OffloadStatus.BadHeader, Run(tcp4.AsSpan(0, 30).ToArray(), new VirtioNetHeader { Flags = 1, CsumStart = 20, CsumOffset = 16 }));
    }

    [Fact]
    public void Split_Steady_AllocatesNothing()
    {
        byte[] super = SuperPacket(false, IpTcp, 60000);
        var h = GsoHeader(super, 1380);
        var output = new byte[64 * Stride];
        var lengths = new int[64];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => GsoSplitter.Split(super, h, output, Stride, lengths, out _), warmUp: 10, rounds: 1000));
    }
}
