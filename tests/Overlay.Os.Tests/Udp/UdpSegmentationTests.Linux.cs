using System.Net;
using Overlay.Os.Interop;
using Overlay.Os.Udp;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Tests.Udp;

/// <summary>
/// UDP GSO in <see cref="UdpSocket.SendBatch"/> (UDP_SEGMENT, udp(7)): runs of equal-length datagrams to one
/// destination leave as one message and must arrive as the original datagrams, in order, byte for byte.
/// Loopback only (127.0.0.1).
/// </summary>
public sealed unsafe class UdpSegmentationTests
{
    private static UdpEndpoint EndpointOf(UdpSocket socket) => UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, socket.LocalPort));

    private static void Put(DatagramBatch batch, int i, int length, UdpEndpoint destination, int seed)
    {
        batch.Length(i) = length;
        Span<byte> payload = batch.Payload(i);
        for (int k = 0; k < length; k++) payload[k] = (byte)(seed * 31 + k);
        batch.Endpoint(i) = destination;
    }

    private static List<byte[]> ReceiveAll(UdpSocket socket, int expected)
    {
        using var batch = new DatagramBatch(32, 2048, 16);
        var got = new List<byte[]>();
        for (int idle = 0; got.Count < expected && idle < 20;)
        {
            int n = socket.ReceiveBatch(batch);
            for (int i = 0; i < n; i++) got.Add(batch.Payload(i).ToArray());
            if (n == 0)
            {
                idle++;
                Libc.PollFd fd = new() { Fd = socket.Handle, Events = Libc.POLLIN };
                Libc.Poll(&fd, 1, 100);
            }
        }
        return got;
    }

    private static byte[] Expected(int length, int seed)
    {
        var b = new byte[length];
        for (int k = 0; k < length; k++) b[k] = (byte)(seed * 31 + k);
        return b;
    }

    [Fact]
    public void SendBatch_EqualRunWithShortTail_ArrivesAsOriginalDatagramsInOrder()
    {
        using var sender = UdpSocket.Bind(0);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(32, 1600, 16);
        UdpEndpoint to = EndpointOf(receiver);
        for (int i = 0; i < 31; i++) Put(batch, i, 1452, to, i);
        Put(batch, 31, 100, to, 31);
        batch.Count = 32;

        Assert.Equal(32, sender.SendBatch(batch));

        List<byte[]> got = ReceiveAll(receiver, 32);
        Assert.Equal(32, got.Count);
        for (int i = 0; i < 31; i++) Assert.Equal(Expected(1452, i), got[i]);
        Assert.Equal(Expected(100, 31), got[31]);
        Assert.True(sender.SegmentationOffload);
        Assert.Equal(1, sender.SegmentedSends);
    }

    [Fact]
    public void SendBatch_MixedDestinationsAndLengths_SplitsRunsAndKeepsOrderPerDestination()
    {
        using var sender = UdpSocket.Bind(0);
        using var a = UdpSocket.Bind(0, IPAddress.Loopback);
        using var b = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(32, 1600, 16);
        // a: 3 x 500, b: 1 x 800, a: 2 x 600 then a longer one (starts a new run), b: 0-byte datagram.
        int[] lengths = [500, 500, 500, 800, 600, 600, 700, 0];
        bool[] toA = [true, true, true, false, true, true, true, false];
        for (int i = 0; i < lengths.Length; i++) Put(batch, i, lengths[i], toA[i] ? EndpointOf(a) : EndpointOf(b), i);
        batch.Count = lengths.Length;

        Assert.Equal(lengths.Length, sender.SendBatch(batch));

        List<byte[]> gotA = ReceiveAll(a, 6);
        List<byte[]> gotB = ReceiveAll(b, 2);
        int[] aIndex = [0, 1, 2, 4, 5, 6];
        Assert.Equal(aIndex.Length, gotA.Count);
        for (int k = 0; k < aIndex.Length; k++) Assert.Equal(Expected(lengths[aIndex[k]], aIndex[k]), gotA[k]);
        Assert.Equal(2, gotB.Count);
        Assert.Equal(Expected(800, 3), gotB[0]);
        Assert.Empty(gotB[1]);
        Assert.Equal(2, sender.SegmentedSends); // [0..2] and [4..5]
    }

    [Fact]
    public void SendBatch_OffloadOff_SendsEachDatagramAlone()
    {
        using var sender = UdpSocket.Bind(0);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(8, 1600, 16);
        for (int i = 0; i < 8; i++) Put(batch, i, 1000, EndpointOf(receiver), i);
        batch.Count = 8;
        sender.SegmentationOffload = false;

        Assert.Equal(8, sender.SendBatch(batch));

        List<byte[]> got = ReceiveAll(receiver, 8);
        Assert.Equal(8, got.Count);
        for (int i = 0; i < 8; i++) Assert.Equal(Expected(1000, i), got[i]);
        Assert.Equal(0, sender.SegmentedSends);
    }

    [Fact]
    public void ReceiveBatch_AfterSegmentedSendOnSameBatch_UsesOneFramePerDatagram()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(8, 1600, 16);
        for (int i = 0; i < 8; i++) Put(batch, i, 300, EndpointOf(sender), i);
        batch.Count = 8;

        Assert.Equal(8, sender.SendBatch(batch));
        Assert.Equal(1, sender.SegmentedSends);

        int total = 0;
        for (int idle = 0; total < 8 && idle < 20;)
        {
            int n = sender.ReceiveBatch(batch);
            for (int i = 0; i < n; i++) Assert.Equal(Expected(300, total + i), batch.Payload(i).ToArray());
            total += n;
            if (n == 0)
            {
                idle++;
                Libc.PollFd fd = new() { Fd = sender.Handle, Events = Libc.POLLIN };
                Libc.Poll(&fd, 1, 100);
            }
        }
        Assert.Equal(8, total);
    }

    [Fact]
    public void SendBatch_WarmSegmentedPath_AllocatesNothing()
    {
        using var sender = UdpSocket.Bind(0);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(32, 1600, 16);
        using var sink = new DatagramBatch(32, 1600, 16);
        UdpEndpoint to = EndpointOf(receiver);
        for (int i = 0; i < 32; i++) Put(batch, i, 1200, to, i);
        batch.Count = 32;
        sender.SendBatch(batch);
        while (receiver.ReceiveBatch(sink) > 0) { }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 20; round++)
        {
            batch.Count = 32;
            sender.SendBatch(batch);
            while (receiver.ReceiveBatch(sink) > 0) { }
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
