using Overlay.Tests.Fakes;
using Overlay.Os.Interop;
using Overlay.Os.Tun;

namespace Overlay.Os.Tests.Tun;

/// <summary>
/// TunDevice's read/write paths over an AF_UNIX datagram socketpair, which keeps packet
/// boundaries as tun and utun do. The peer end plays the kernel. Runs on any OS without root.
/// </summary>
public sealed unsafe class TunDeviceFramingTests : IDisposable
{
    private readonly int _peer;
    private readonly TunDevice _utun;

    public TunDeviceFramingTests()
    {
        (_utun, _peer) = Pair(afHeader: true);
    }

    public void Dispose()
    {
        _utun.Dispose();
        Libc.Close(_peer);
    }

    internal static (TunDevice, int) Pair(bool afHeader)
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, 0, fds));
        Assert.Equal(0, Libc.CompleteSocketFlags(fds[0]));
        Assert.Equal(0, Libc.CompleteSocketFlags(fds[1]));
        return (TunDevice.FromDescriptor(new SafeFd(fds[0]), "pair", afHeader), fds[1]);
    }

    private static byte[] Ipv4Packet(int length)
    {
        var p = new byte[length];
        p[0] = 0x45;
        for (int i = 1; i < length; i++) p[i] = (byte)i;
        return p;
    }

    private static byte[] Ipv6Packet(int length)
    {
        var p = new byte[length];
        p[0] = 0x60;
        for (int i = 1; i < length; i++) p[i] = (byte)(255 - i);
        return p;
    }

    private void PeerSend(ReadOnlySpan<byte> datagram)
    {
        fixed (byte* p = datagram)
        {
            Assert.Equal(datagram.Length, (int)Libc.Write(_peer, p, (nuint)datagram.Length));
        }
    }

    private byte[] PeerReceive()
    {
        var buffer = new byte[2048];
        fixed (byte* p = buffer)
        {
            nint n = Libc.Read(_peer, p, (nuint)buffer.Length);
            Assert.True(n >= 0, $"peer read failed: {new Errno((int)-n)}");
            return buffer[..(int)n];
        }
    }

    [Theory]
    [InlineData(4, 60)]
    [InlineData(16, 1420)]
    public void Write_Ipv4Packet_SendsAfInetHeaderThenPacket(int headroom, int length)
    {
        byte[] packet = Ipv4Packet(length);
        var frame = new byte[headroom + 1500];
        packet.CopyTo(frame, headroom);
        Assert.True(_utun.Write(frame, headroom, length));
        byte[] wire = PeerReceive();
        Assert.Equal(length + 4, wire.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 2 }, wire[..4]);
        Assert.Equal(packet, wire[4..]);
    }

    [Fact]
    public void Write_Ipv6Packet_SendsAfInet6Header()
    {
        byte[] packet = Ipv6Packet(80);
        var frame = new byte[4 + 80];
        packet.CopyTo(frame, 4);
        Assert.True(_utun.Write(frame, 4, 80));
        byte[] wire = PeerReceive();
        Assert.Equal(new byte[] { 0, 0, 0, 30 }, wire[..4]);
        Assert.Equal(packet, wire[4..]);
    }

    [Fact]
    public void Write_UnknownIpVersion_ReturnsFalseAndCounts()
    {
        var frame = new byte[4 + 20];
        frame[4] = 0x20;
        Assert.False(_utun.Write(frame, 4, 20));
        Assert.False(_utun.Write(frame, 4, 0));
        Assert.Equal(2, _utun.WriteErrors);
    }

    [Fact]
    public void Write_HeadroomBelowHeader_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _utun.Write(new byte[64], 3, 20));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_Ipv4AndIpv6Frames_PacketLandsAtHeadroom(bool v6)
    {
        byte[] packet = v6 ? Ipv6Packet(100) : Ipv4Packet(100);
        byte[] wire = [0, 0, 0, (byte)(v6 ? 30 : 2), .. packet];
        PeerSend(wire);
        var frame = new byte[16 + 1500];
        int n = _utun.Read(frame, 16);
        Assert.Equal(100, n);
        Assert.Equal(packet, frame[16..(16 + n)]);
        Assert.Equal((uint)(v6 ? 30 : 2), UtunFraming.ReadFamily(frame.AsSpan(12)));
    }

    [Fact]
    public void Read_ShortFrames_DroppedCountedAndNextPacketReturned()
    {
        PeerSend([0, 0]);
        PeerSend([0, 0, 0]);
        PeerSend([0, 0, 0, 2]);
        byte[] packet = Ipv4Packet(20);
        PeerSend([0, 0, 0, 2, .. packet]);
        var frame = new byte[4 + 1500];
        Assert.Equal(20, _utun.Read(frame, 4));
        Assert.Equal(packet, frame[4..24]);
        Assert.Equal(3, _utun.ShortFramesDropped);
    }

    [Fact]
    public void Read_Nothing_ReturnsZero()
    {
        var frame = new byte[64];
        Assert.Equal(0, _utun.Read(frame, 4));
        Assert.Equal(0, _utun.ShortFramesDropped);
    }

    [Fact]
    public void Read_WithoutAfHeader_PassesPacketThrough()
    {
        var (tun, peer) = Pair(afHeader: false);
        try
        {
            byte[] packet = Ipv4Packet(40);
            fixed (byte* p = packet) Assert.Equal(40, (int)Libc.Write(peer, p, 40));
            var frame = new byte[8 + 1500];
            Assert.Equal(40, tun.Read(frame, 8));
            Assert.Equal(packet, frame[8..48]);

            Assert.True(tun.Write(frame, 8, 40));
            var back = new byte[100];
            fixed (byte* p = back) Assert.Equal(40, (int)Libc.Read(peer, p, 100));
            Assert.Equal(packet, back[..40]);
        }
        finally
        {
            tun.Dispose();
            Libc.Close(peer);
        }
    }

    [Fact]
    public void ReadWrite_ManyPackets_AllocateNothing()
    {
        var frame = new byte[4 + 1500];
        Ipv4Packet(1400).CopyTo(frame, 4);
        var sink = new byte[2048];
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() => RoundTrip(frame, sink), warmUp: 100, rounds: 10_000));
    }

    private void RoundTrip(byte[] frame, byte[] sink)
    {
        _utun.Write(frame, 4, 1400);
        fixed (byte* p = sink)
        {
            nint n = Libc.Read(_peer, p, (nuint)sink.Length);
            Libc.Write(_peer, p, (nuint)n);
        }
        _utun.Read(frame, 4);
    }

    [Fact]
    public void Read_UtunReturnsZero_ThrowsBrokenDevice()
    {
        // read(2) returning 0 on a utun is end of file: the device is gone and every further read
        // returns 0 again, so counting it as a short frame and reading on spun the loop forever.
        // On the socketpair stand-in an empty datagram is what makes read return 0.
        PeerSend([]);
        var frame = new byte[1600];
        Task<Exception?> read = Task.Run(() => Record.Exception(() => _utun.Read(frame, 16)));
        Assert.True(read.Wait(TimeSpan.FromSeconds(5)), "Read did not return on end of file");
        var e = Assert.IsType<SystemCallException>(read.Result);
        Assert.Contains("end of file", e.Message);
        Assert.Equal(0, _utun.ShortFramesDropped);
    }
}
