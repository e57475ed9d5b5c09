using Overlay.Tests.Fakes;
using System.Net;
using Overlay.Os.Interop;
using Overlay.Os.Udp;
using Overlay.Protocol;
using static Overlay.Os.Tests.Udp.LoopbackDatagrams;

namespace Overlay.Os.Tests.Udp;

/// <summary>
/// UDP GRO on receive (UDP_GRO, udp(7)): a GSO send over loopback reaches a GRO socket as one
/// coalesced message, which <see cref="UdpSocket.ReceiveBatch"/> must hand out as the original
/// datagrams, in order, byte for byte, with their source, across batches too small to hold them
/// all (<see cref="UdpSocket.HasBuffered"/>). Loopback only (127.0.0.1).
/// </summary>
public sealed unsafe class UdpReceiveOffloadTests
{
    private static void WaitReadable(UdpSocket socket)
    {
        Libc.PollFd fd = new() { Fd = socket.Handle, Events = Libc.POLLIN };
        Assert.Equal(1, Libc.Poll(&fd, 1, 2000));
    }

    [Fact]
    public void Bind_OnLinux_TurnsOnUdpGro()
    {
        using var socket = UdpSocket.Bind(0, IPAddress.Loopback);
        Assert.True(socket.ReceiveOffload);
        Assert.False(socket.HasBuffered);
    }

    [Fact]
    public void ReceiveBatch_CoalescedSendIntoSmallBatches_YieldsOriginalDatagramsInOrder()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var tx = new DatagramBatch(32, 1600, 16);
        UdpEndpoint to = EndpointOf(receiver);
        for (int i = 0; i < 10; i++) Put(tx, i, 1200, to, i);
        Put(tx, 10, 500, to, 10);
        tx.Count = 11;
        Assert.Equal(11, sender.SendBatch(tx));
        Assert.Equal(1, sender.SegmentedSends);

        WaitReadable(receiver);
        using var rx = new DatagramBatch(4, 1600, 16);
        var got = new List<byte[]>();
        var counts = new List<int>();
        for (int call = 0; call < 10 && got.Count < 11; call++)
        {
            int n = receiver.ReceiveBatch(rx);
            counts.Add(n);
            for (int i = 0; i < n; i++)
            {
                got.Add(rx.Payload(i).ToArray());
                Assert.Equal(sender.LocalPort, rx.Endpoint(i).Port);
            }
            Assert.Equal(got.Count < 11, receiver.HasBuffered);
        }
        Assert.Equal([4, 4, 3], counts);
        for (int i = 0; i < 11; i++) Assert.Equal(Expected(i < 10 ? 1200 : 500, i), got[i]);
        Assert.Equal(1, receiver.CoalescedReceives);
        Assert.Equal(0, receiver.ReceiveBatch(rx));
    }

    /// <summary>
    /// netns.sh's 34,736-byte MTU: each sealed packet is one 34,784-byte datagram. Three of them in
    /// one send batch (too large together for one GSO send) reach a GRO socket whole and in order,
    /// in frames sized as subnetra-wg's data path sizes them.
    /// </summary>
    [Fact]
    public void ReceiveBatch_DatagramsOf34784Bytes_ArriveWholeWithGro()
    {
        const int size = 34736 + 48;
        int frame = Overlay.Os.Node.NodeDataPath.FrameHeadroom * 2 + Overlay.Os.Node.NodeDataPath.MaxPlainPacket + Overlay.Os.Node.NodeDataPath.FrameTailroom;
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        Assert.True(receiver.ReceiveOffload);
        using var tx = new DatagramBatch(4, frame, 16);
        UdpEndpoint to = EndpointOf(receiver);
        for (int i = 0; i < 3; i++) Put(tx, i, size, to, i);
        tx.Count = 3;
        Assert.Equal(3, sender.SendBatch(tx));

        WaitReadable(receiver);
        using var rx = new DatagramBatch(32, frame, 16);
        var got = new List<byte[]>();
        for (int call = 0; call < 10 && got.Count < 3; call++)
        {
            int n = receiver.ReceiveBatch(rx);
            for (int i = 0; i < n; i++) got.Add(rx.Payload(i).ToArray());
            if (n == 0 && got.Count < 3) WaitReadable(receiver);
        }
        Assert.Equal(3, got.Count);
        for (int i = 0; i < 3; i++) Assert.Equal(Expected(size, i), got[i]);
        Assert.Equal(0, receiver.ReceiveTruncated);
    }

    [Fact]
    public void ReceiveBatch_CoalescedSegmentsLargerThanTheFrame_AreCountedTruncated()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var tx = new DatagramBatch(4, 1600, 16);
        UdpEndpoint to = EndpointOf(receiver);
        for (int i = 0; i < 3; i++) Put(tx, i, 1400, to, i);
        tx.Count = 3;
        Assert.Equal(3, sender.SendBatch(tx));
        WaitReadable(receiver);
        using var rx = new DatagramBatch(8, 16 + 1000, 16);
        Assert.Equal(0, receiver.ReceiveBatch(rx));
        Assert.Equal(3, receiver.ReceiveTruncated);
        Assert.False(receiver.HasBuffered);
    }

    [Fact]
    public void ReceiveBatch_WithGro_AllocatesNothing()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var tx = new DatagramBatch(16, 1600, 16);
        using var rx = new DatagramBatch(32, 1600, 16);
        UdpEndpoint to = EndpointOf(receiver);
        void Round()
        {
            for (int i = 0; i < 16; i++) { tx.Length(i) = 1300; tx.Endpoint(i) = to; }
            tx.Count = 16;
            sender.SendBatch(tx);
            int got = 0;
            for (int k = 0; k < 50 && got < 16; k++) got += receiver.ReceiveBatch(rx);
        }
        Assert.Equal(0, AllocationProbe.SteadyStateBytes(Round, warmUp: 20, rounds: 300));
    }
}
