using Overlay.Tests.Fakes;
using Overlay.Os.Tun.Offload;
using static Overlay.Os.Tests.Tun.Offload.PacketBuilder;

namespace Overlay.Os.Tests.Tun.Offload;

public sealed class GroCoalescerTests
{
    private const byte Ack = 0x10, Psh = 0x08, Syn = 0x02, Fin = 0x01;

    private static GroCoalescer New(bool tcp = true, bool udp = true) => new(new byte[VirtioNetHeader.Length + 65535], tcp, udp);

    /// <summary>Consecutive segments of one flow as a sender would emit them (ids increment, PSH on the last).</summary>
    private static List<byte[]> Segments(bool v6, int proto, int count, int size, int lastSize = -1, byte[]? tcpOptions = null)
    {
        var list = new List<byte[]>();
        uint seq = 0xFFFF_FC00;
        for (int i = 0; i < count; i++)
        {
            int n = i == count - 1 && lastSize >= 0 ? lastSize : size;
            byte flags = i == count - 1 ? (byte)(Ack | Psh) : Ack;
            list.Add(Build(v6, proto, Payload(n, seed: i + 2), seq: seq, tcpFlags: flags, id: (ushort)(0xFFFE + i), tcpOptions: tcpOptions));
            seq += (uint)n;
        }
        return list;
    }

    /// <summary>Completes NEEDS_CSUM the reference way: the field holds the pseudo sum, so the checksum is ~sum(L4 bytes).</summary>
    private static byte[] CompleteByReference(byte[] packet, VirtioNetHeader h)
    {
        byte[] p = (byte[])packet.Clone();
        int at = h.CsumStart + h.CsumOffset;
        int c = RefChecksum(p.Skip(h.CsumStart));
        p[at] = (byte)(c >> 8); p[at + 1] = (byte)c;
        return p;
    }

    [Theory]
    [InlineData(false, IpTcp, 5, 1380, -1, false)]
    [InlineData(false, IpTcp, 4, 1368, 200, true)]   // last segment shorter, timestamps
    [InlineData(true, IpTcp, 5, 1360, 1, false)]
    [InlineData(true, IpTcp, 40, 1360, -1, true)]
    [InlineData(false, IpUdp, 6, 1300, -1, false)]
    [InlineData(true, IpUdp, 3, 1252, 17, false)]
    public void AddThenFlush_OneFlow_CoalescesAndSplitsBackToTheSameSegments(bool v6, int proto, int count, int size, int lastSize, bool ts)
    {
        List<byte[]> segs = Segments(v6, proto, count, size, lastSize, ts ? TimestampOption(9) : null);
        GroCoalescer gro = New();
        Assert.Equal(GroResult.Started, gro.Add(segs[0]));
        for (int i = 1; i < segs.Count; i++) Assert.Equal(GroResult.Appended, gro.Add(segs[i]));
        Assert.Equal(count, gro.PendingSegments);

        byte[] flushed = gro.Flush().ToArray();
        Assert.False(gro.HasPending);
        Assert.True(VirtioNetHeader.TryRead(flushed, out var h));
        byte[] super = flushed[VirtioNetHeader.Length..];
        int ip = IpHeaderLength(super);
        int hdr = ip + (proto == IpTcp ? 20 + (ts ? 12 : 0) : 8);
        Assert.Equal(VirtioNetHeader.FlagNeedsCsum, h.Flags);
        Assert.Equal(proto == IpUdp ? VirtioNetHeader.GsoUdpL4 : v6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, h.GsoType);
        Assert.Equal(size, h.GsoSize);
        Assert.Equal(hdr, h.HdrLen);
        Assert.Equal(ip, h.CsumStart);
        Assert.Equal(hdr + segs.Sum(s => s.Length - hdr), super.Length);
        if (v6) Assert.Equal(super.Length - 40, Be16(super, 4));
        else
        {
            Assert.Equal(super.Length, Be16(super, 2));
            Assert.True(Ipv4HeaderChecksumValid(super));
        }
        if (proto == IpUdp) Assert.Equal(super.Length - ip, Be16(super, ip + 4));
        Assert.Equal(segs.SelectMany(s => s.Skip(hdr)), super.Skip(hdr));
        // The kernel completes the checksum (CHECKSUM_PARTIAL); completing it by reference must verify.
        Assert.True(L4ChecksumValid(CompleteByReference(super, h)));

        // And the splitter turns it back into exactly what was sent.
        var output = new byte[64 * 2048];
        var lengths = new int[64];
        Assert.Equal(OffloadStatus.Ok, GsoSplitter.Split(super, h, output, 2048, lengths, out int n));
        Assert.Equal(count, n);
        for (int i = 0; i < n; i++) Assert.Equal(segs[i], output.AsSpan(i * 2048, lengths[i]).ToArray());
    }

    [Fact]
    public void Flush_SinglePacket_GoesOutUnchangedWithPlainHeader()
    {
        byte[] p = Build(false, IpTcp, Payload(500), tcpFlags: Ack);
        GroCoalescer gro = New();
        Assert.Equal(GroResult.Started, gro.Add(p));
        byte[] flushed = gro.Flush().ToArray();
        Assert.Equal(new byte[VirtioNetHeader.Length], flushed[..VirtioNetHeader.Length]);
        Assert.Equal(p, flushed[VirtioNetHeader.Length..]);
        Assert.True(gro.Flush().IsEmpty);
    }

    public static TheoryData<string, Func<byte[], byte[]>> BreakingChanges => new()
    {
        { "other source port", p => Set(p, 20, 0x11) },
        { "other destination address", p => Set(p, 19, 9) },
        { "sequence gap", p => Set(p, 20 + 7, (byte)(p[27] + 1)) },
        { "other ack", p => Set(p, 20 + 11, (byte)(p[31] + 1)) },
        { "other TTL", p => Set(p, 8, 3) },
        { "other TOS", p => Set(p, 1, 0x10) },
        { "DF cleared", p => Set(p, 6, 0) },
    };

    private static byte[] Set(byte[] p, int at, byte v)
    {
        byte[] c = (byte[])p.Clone();
        c[at] = v;
        FillChecksums(c);
        return c;
    }

    [Theory]
    [MemberData(nameof(BreakingChanges))]
    public void Add_NextSegmentDiffers_AsksForFlushFirst(string why, Func<byte[], byte[]> change)
    {
        List<byte[]> segs = Segments(false, IpTcp, 3, 1000);
        GroCoalescer gro = New();
        gro.Add(segs[0]);
        Assert.True(GroResult.FlushFirst == gro.Add(change(segs[1])), why);
        Assert.Equal(1, gro.PendingSegments);
    }

    [Fact]
    public void Add_AfterShorterOrPshSegmentOrLarger_AsksForFlushFirst()
    {
        GroCoalescer gro = New();
        List<byte[]> shortThenMore = Segments(false, IpTcp, 3, 1000);
        byte[] shorter = Build(false, IpTcp, Payload(500), seq: unchecked(0xFFFF_FC00u + 1000), tcpFlags: Ack);
        gro.Add(shortThenMore[0]);
        Assert.Equal(GroResult.Appended, gro.Add(shorter));
        Assert.Equal(GroResult.FlushFirst, gro.Add(Build(false, IpTcp, Payload(500), seq: unchecked(0xFFFF_FC00u + 1500), tcpFlags: Ack)));
        gro.Flush();

        gro.Add(Build(false, IpTcp, Payload(1000), seq: 1, tcpFlags: Ack | Psh));
        Assert.Equal(GroResult.FlushFirst, gro.Add(Build(false, IpTcp, Payload(1000), seq: 1001, tcpFlags: Ack)));
        gro.Flush();

        gro.Add(Build(false, IpTcp, Payload(1000), seq: 1, tcpFlags: Ack));
        Assert.Equal(GroResult.FlushFirst, gro.Add(Build(false, IpTcp, Payload(1001), seq: 1001, tcpFlags: Ack)));
    }

    [Fact]
    public void Add_DifferentTcpOptions_AsksForFlushFirst()
    {
        GroCoalescer gro = New();
        gro.Add(Build(false, IpTcp, Payload(1000), seq: 1, tcpFlags: Ack, tcpOptions: TimestampOption(1)));
        Assert.Equal(GroResult.FlushFirst, gro.Add(Build(false, IpTcp, Payload(1000), seq: 1001, tcpFlags: Ack, tcpOptions: TimestampOption(2))));
    }

    [Fact]
    public void Add_Beyond64KiB_AsksForFlushFirst()
    {
        GroCoalescer gro = New();
        List<byte[]> segs = Segments(false, IpTcp, 50, 1380);
        int appended = 0;
        GroResult r = gro.Add(segs[0]);
        for (int i = 1; i < segs.Count && (r = gro.Add(segs[i])) == GroResult.Appended; i++) appended++;
        Assert.Equal(GroResult.FlushFirst, r);
        Assert.Equal((65535 - 40) / 1380, gro.PendingSegments);
    }

    public static TheoryData<string, byte[]> NeverCoalesced => new()
    {
        { "SYN", Build(false, IpTcp, Payload(100), tcpFlags: Syn | Ack) },
        { "FIN", Build(false, IpTcp, Payload(100), tcpFlags: Fin | Ack) },
        { "pure ACK", Build(false, IpTcp, [], tcpFlags: Ack) },
        { "IPv4 options", Build(false, IpTcp, Payload(100), tcpFlags: Ack, ipOptions: [1, 1, 1, 0]) },
        { "ICMP", IcmpEcho() },
        { "fragment", Fragment() },
        { "truncated", Build(false, IpTcp, Payload(100), tcpFlags: Ack)[..60] },
        { "padded", [.. Build(false, IpUdp, Payload(100)), 0, 0] },
        { "bad TCP checksum", Corrupt(Build(false, IpTcp, Payload(100), tcpFlags: Ack), 20 + 16) },
        { "bad TCP/IPv6 checksum", Corrupt(Build(true, IpTcp, Payload(100), tcpFlags: Ack), 40 + 20 + 50) },
        { "bad UDP checksum", Corrupt(Build(false, IpUdp, Payload(100)), 20 + 8 + 99) },
        { "bad IPv4 header checksum", Corrupt(Build(false, IpTcp, Payload(100), tcpFlags: Ack), 10) },
        { "UDP without checksum", NoUdpChecksum(Build(false, IpUdp, Payload(100))) },
    };

    /// <summary>One flipped bit, checksums left as they were.</summary>
    private static byte[] Corrupt(byte[] p, int at)
    {
        p[at] ^= 0x04;
        return p;
    }

    private static byte[] NoUdpChecksum(byte[] p)
    {
        p[26] = p[27] = 0;
        return p;
    }

    private static byte[] IcmpEcho()
    {
        byte[] p = Build(false, IpUdp, Payload(30));
        p[9] = 1;
        return p;
    }

    private static byte[] Fragment()
    {
        byte[] p = Build(false, IpUdp, Payload(100));
        p[6] = 0x20; // MF
        return p;
    }

    [Theory]
    [MemberData(nameof(NeverCoalesced))]
    public void Add_PacketThatMustNotBeCoalesced_IsRejectedAndNothingPendingChanges(string why, byte[] packet)
    {
        GroCoalescer gro = New();
        Assert.True(GroResult.Rejected == gro.Add(packet), why);
        Assert.False(gro.HasPending);
    }

    [Fact]
    public void Add_ProtocolNotEnabled_IsRejected()
    {
        Assert.Equal(GroResult.Rejected, New(tcp: true, udp: false).Add(Build(false, IpUdp, Payload(100))));
        Assert.Equal(GroResult.Rejected, New(tcp: false, udp: true).Add(Build(false, IpTcp, Payload(100), tcpFlags: Ack)));
    }

    [Fact]
    public void AddFlush_Steady_AllocatesNothing()
    {
        List<byte[]> segs = Segments(true, IpTcp, 32, 1360);
        GroCoalescer gro = New();
        void Round()
        {
            foreach (byte[] s in segs)
                if (gro.Add(s) == GroResult.FlushFirst) { gro.Flush(); gro.Add(s); }
            gro.Flush();
        }
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(Round, warmUp: 10, rounds: 300));
    }
}
