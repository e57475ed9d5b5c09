using Overlay.Tests.Fakes;
using Overlay.Os.Interop;
using Overlay.Os.Tests.Tun.Offload;
using Overlay.Os.Tun;
using Overlay.Os.Tun.Offload;
using static Overlay.Os.Tests.Tun.Offload.PacketBuilder;

namespace Overlay.Os.Tests.Tun;

/// <summary>
/// The offloaded tun path (virtio-net header on every frame) over an AF_UNIX datagram
/// socketpair: the peer end plays a kernel tun opened with IFF_VNET_HDR and TSO/USO, writing
/// super-packets for us to split and reading what we coalesce. No root needed. Linux only:
/// macOS caps AF_UNIX datagrams far below 64 KiB.
/// </summary>
public sealed unsafe class TunDeviceOffloadTests : IDisposable
{
    private const int Headroom = 16;
    private readonly TunDevice _tun;
    private readonly int _peer;
    private readonly byte[] _frame = new byte[Headroom + 1500 + 32];
    private readonly byte[] _peerBuffer = new byte[VirtioNetHeader.Length + 65535];

    public TunDeviceOffloadTests()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, 0, fds));
        Assert.Equal(0, Libc.CompleteSocketFlags(fds[0]));
        Assert.Equal(0, Libc.CompleteSocketFlags(fds[1]));
        foreach (int fd in new[] { fds[0], fds[1] })
        {
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, 1 << 20);
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, 1 << 20);
        }
        _tun = TunDevice.FromDescriptor(new SafeFd(fds[0]), "pair", afHeader: false, TunOffloads.Tcp | TunOffloads.Udp);
        _peer = fds[1];
    }

    public void Dispose()
    {
        _tun.Dispose();
        Libc.Close(_peer);
    }

    private void PeerSend(VirtioNetHeader h, byte[] packet)
    {
        var wire = new byte[VirtioNetHeader.Length + packet.Length];
        h.Write(wire);
        packet.CopyTo(wire, VirtioNetHeader.Length);
        fixed (byte* p = wire) Assert.Equal(wire.Length, (int)Libc.Write(_peer, p, (nuint)wire.Length));
    }

    /// <summary>The next frame the tun wrote, or null when none is waiting.</summary>
    private byte[]? PeerReceive()
    {
        fixed (byte* p = _peerBuffer)
        {
            nint n = Libc.Read(_peer, p, (nuint)_peerBuffer.Length);
            if (n == -Libc.EAGAIN) return null;
            Assert.True(n >= 0, $"peer read failed: {new Errno((int)-n)}");
            return _peerBuffer[..(int)n];
        }
    }

    private byte[]? Read()
    {
        int n = _tun.Read(_frame, Headroom);
        return n == 0 ? null : _frame.AsSpan(Headroom, n).ToArray();
    }

    private bool Write(byte[] packet)
    {
        packet.CopyTo(_frame, Headroom);
        return _tun.Write(_frame, Headroom, packet.Length);
    }

    [Theory]
    [InlineData(false, IpTcp)]
    [InlineData(true, IpTcp)]
    [InlineData(false, IpUdp)]
    public void Read_SuperPacket_YieldsValidSegmentsOneByOne(bool v6, int proto)
    {
        byte[] super = Build(v6, proto, Payload(20_000), seq: 7, tcpFlags: 0x18);
        PeerSend(GsoSplitterTests.GsoHeader(super, 1380), super);
        var segments = new List<byte[]>();
        while (Read() is { } s)
        {
            segments.Add(s);
            Assert.Equal(segments.Count < 15, _tun.HasBuffered);
        }
        Assert.Equal(15, segments.Count);   // ceil(20000 / 1380)
        Assert.All(segments, s => Assert.True(L4ChecksumValid(s)));
        Assert.All(segments[..^1], s => Assert.Equal(IpHeaderLength(s) + (proto == IpTcp ? 20 : 8) + 1380, s.Length));
        Assert.False(_tun.HasBuffered);
    }

    /// <summary>
    /// netns.sh's 34,736-byte MTU: a packet of that size without GSO (header type none) passes the
    /// offloaded tun as is both ways, read into and written from a frame as large as subnetra-wg's.
    /// </summary>
    [Theory]
    [InlineData(false, IpTcp)]
    [InlineData(true, IpUdp)]
    public void ReadAndWrite_NonGsoPacketOf34736Bytes_PassesAsIs(bool v6, int proto)
    {
        byte[] packet = Build(v6, proto, Payload(34736 - (v6 ? 40 : 20) - (proto == IpTcp ? 20 : 8)), seq: 9, tcpFlags: 0x18);
        Assert.Equal(34736, packet.Length);
        var frame = new byte[Headroom + Overlay.Os.Node.NodeDataPath.MaxPlainPacket + 32];
        PeerSend(new VirtioNetHeader(), packet);
        int n = _tun.Read(frame, Headroom);
        Assert.Equal(packet, frame.AsSpan(Headroom, n).ToArray());
        Assert.False(_tun.HasBuffered);

        Assert.True(_tun.Write(frame, Headroom, n));
        Assert.Equal(0, _tun.Flush());
        byte[] wire = PeerReceive()!;
        Assert.True(VirtioNetHeader.TryRead(wire, out VirtioNetHeader h));
        Assert.Equal(VirtioNetHeader.GsoNone, h.GsoType);
        Assert.Equal(packet, wire[VirtioNetHeader.Length..]);
        Assert.Equal(0, _tun.ShortFramesDropped);
    }

    [Fact]
    public void Read_PlainPacketNeedingChecksum_IsCompleted()
    {
        byte[] p = Build(false, IpUdp, Payload(300));
        int partial = (~RefChecksum(PseudoHeader(p, p.Length - 20))) & 0xFFFF;
        p[26] = (byte)(partial >> 8); p[27] = (byte)partial;
        PeerSend(new VirtioNetHeader { Flags = VirtioNetHeader.FlagNeedsCsum, CsumStart = 20, CsumOffset = 6 }, p);
        byte[] got = Read()!;
        Assert.True(L4ChecksumValid(got));
        Assert.Null(Read());
    }

    [Fact]
    public void Read_HeaderNotMatchingPacket_IsDroppedAndCounted()
    {
        byte[] p = Build(false, IpTcp, Payload(3000));
        PeerSend(GsoSplitterTests.GsoHeader(p, 1000) with { GsoType = VirtioNetHeader.GsoUdp }, p);
        Assert.Null(Read());
        Assert.Equal(1, _tun.ShortFramesDropped);
    }

    [Fact]
    public void WriteThenFlush_SegmentsOfOneFlow_LeaveAsOneSuperPacket()
    {
        var segs = new List<byte[]>();
        for (int i = 0; i < 5; i++)
            segs.Add(Build(false, IpTcp, Payload(1380, i), seq: (uint)(100 + i * 1380), tcpFlags: 0x10, id: (ushort)i));
        foreach (byte[] s in segs) Assert.True(Write(s));
        Assert.Null(PeerReceive());              // held back until the batch ends
        Assert.Equal(0, _tun.Flush());
        byte[] wire = PeerReceive()!;
        Assert.True(VirtioNetHeader.TryRead(wire, out var h));
        Assert.Equal(VirtioNetHeader.GsoTcpV4, h.GsoType);
        Assert.Equal(1380, h.GsoSize);
        Assert.Equal(VirtioNetHeader.Length + 40 + 5 * 1380, wire.Length);
        Assert.Null(PeerReceive());
    }

    [Fact]
    public void Write_PacketThatCannotCoalesce_FlushesHeldBackFirstAndKeepsOrder()
    {
        byte[] data1 = Build(false, IpTcp, Payload(1000), seq: 1, tcpFlags: 0x10);
        byte[] data2 = Build(false, IpTcp, Payload(1000), seq: 1001, tcpFlags: 0x10);
        byte[] fin = Build(false, IpTcp, [], seq: 2001, tcpFlags: 0x11);
        Assert.True(Write(data1));
        Assert.True(Write(data2));
        Assert.True(Write(fin));
        byte[] first = PeerReceive()!, second = PeerReceive()!;
        Assert.Equal(VirtioNetHeader.Length + 40 + 2000, first.Length);
        Assert.Equal(new byte[VirtioNetHeader.Length], second[..VirtioNetHeader.Length]);
        Assert.Equal(fin, second[VirtioNetHeader.Length..]);
        Assert.Equal(0, _tun.Flush());
        Assert.Null(PeerReceive());
    }

    [Fact]
    public void ReadAndWrite_Steady_AllocateNothing()
    {
        byte[] super = Build(true, IpTcp, Payload(60_000), seq: 1, tcpFlags: 0x10);
        var wire = new byte[VirtioNetHeader.Length + super.Length];
        GsoSplitterTests.GsoHeader(super, 1360).Write(wire);
        super.CopyTo(wire, VirtioNetHeader.Length);
        void Round()
        {
            fixed (byte* p = wire) Libc.Write(_peer, p, (nuint)wire.Length);
            int n;
            while ((n = _tun.Read(_frame, Headroom)) > 0) _tun.Write(_frame, Headroom, n);  // echo: split, then coalesce
            _tun.Flush();
            fixed (byte* p = _peerBuffer) Libc.Read(_peer, p, (nuint)_peerBuffer.Length);
        }
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(Round, warmUp: 20, rounds: 500));
    }
}
