using Overlay.Tests.Fakes;
using System.Net;
using Overlay.Protocol;
using Overlay.Os.Interop;
using Overlay.Os.Udp;
using static Overlay.Os.Tests.Udp.LoopbackDatagrams;

namespace Overlay.Os.Tests.Udp;

/// <summary>
/// UDP GSO in <see cref="UdpSocket.SendBatch"/> (UDP_SEGMENT, udp(7)): runs of equal-length datagrams to one
/// destination leave as one message and must arrive as the original datagrams, in order, byte for byte.
/// Loopback only (127.0.0.1).
/// </summary>
public sealed unsafe class UdpSegmentationTests
{
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

        Assert.Equal(0, AllocationProbe.SteadyStateBytes(() =>
        {
            batch.Count = 32;
            sender.SendBatch(batch);
            while (receiver.ReceiveBatch(sink) > 0) { }
        }, warmUp: 0, rounds: 20));
    }

    [Theory]
    [InlineData(Libc.EMSGSIZE)] // newer kernels: gso_size + headers above the path MTU (udp_send_skb)
    [InlineData(Libc.EINVAL)] // older kernels, same cause
    [InlineData(Libc.EIO)] // device without checksum offload
    public void SendBatch_CoalescedSendRefused_ResendsEachDatagramAndTurnsOffloadOff(int errno)
    {
        using var sender = UdpSocket.Bind(0);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(32, 1600, 16);
        UdpEndpoint to = EndpointOf(receiver);
        for (int i = 0; i < 20; i++) Put(batch, i, 1452, to, i);
        batch.Count = 20;
        sender.SegmentedSendFaultForTest = errno;

        Assert.Equal(20, sender.SendBatch(batch));

        Assert.Equal(0, sender.SegmentedSendFaultForTest); // the fault was consumed, so the path ran
        Assert.False(sender.SegmentationOffload);
        Assert.Equal(0, sender.SendErrors);
        Assert.Equal(0, sender.SegmentedSends);
        List<byte[]> got = ReceiveAll(receiver, 20);
        Assert.Equal(20, got.Count);
        for (int i = 0; i < 20; i++) Assert.Equal(Expected(1452, i), got[i]);
    }

    [Fact]
    public void SendBatch_RefusedRunAfterSentRun_ResendsOnlyTheRestAndKeepsOrder()
    {
        using var sender = UdpSocket.Bind(0);
        using var a = UdpSocket.Bind(0, IPAddress.Loopback);
        using var b = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(16, 1600, 16);
        // Run 1 (single datagram to a) goes out; run 2 (4 x 900 to b) is refused; run 3 (3 x 500 to a) follows.
        Put(batch, 0, 700, EndpointOf(a), 0);
        for (int i = 1; i < 5; i++) Put(batch, i, 900, EndpointOf(b), i);
        for (int i = 5; i < 8; i++) Put(batch, i, 500, EndpointOf(a), i);
        batch.Count = 8;
        sender.SegmentedSendFaultForTest = Libc.EMSGSIZE;

        Assert.Equal(8, sender.SendBatch(batch));

        List<byte[]> gotA = ReceiveAll(a, 4);
        List<byte[]> gotB = ReceiveAll(b, 4);
        Assert.Equal(4, gotA.Count);
        Assert.Equal(Expected(700, 0), gotA[0]);
        for (int i = 5; i < 8; i++) Assert.Equal(Expected(500, i), gotA[i - 4]);
        Assert.Equal(4, gotB.Count);
        for (int i = 1; i < 5; i++) Assert.Equal(Expected(900, i), gotB[i - 1]);
        Assert.Equal(0, sender.SendErrors);
        Assert.False(sender.SegmentationOffload);
    }

    /// <summary>
    /// A segmented send points message 1's header at entry 4's name slot (the second run starts at entry 4);
    /// a receive into the same batch must still give each entry its own source address.
    /// </summary>
    [Fact]
    public void ReceiveBatch_AfterSegmentedSendToTwoDestinations_ReportsEachDatagramsOwnSource()
    {
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var a = UdpSocket.Bind(0, IPAddress.Loopback);
        using var b = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(8, 1600, 16);
        for (int i = 0; i < 4; i++) Put(batch, i, 300, EndpointOf(a), i);
        for (int i = 4; i < 6; i++) Put(batch, i, 200, EndpointOf(b), i);
        batch.Count = 6;
        Assert.Equal(6, receiver.SendBatch(batch));
        Assert.Equal(2, receiver.SegmentedSends);

        AssertSourcesFromAlternatingSenders(receiver, a, b, batch);
    }

    /// <summary>A send entry without a usable address leaves its header with no name slot at all.</summary>
    [Fact]
    public void ReceiveBatch_AfterSendWithUnusableAddress_ReportsEachDatagramsOwnSource()
    {
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var a = UdpSocket.Bind(0, IPAddress.Loopback);
        using var b = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(8, 1600, 16);
        Put(batch, 0, 100, default, 0);
        Put(batch, 1, 100, EndpointOf(a), 1);
        batch.Count = 2;
        receiver.SegmentationOffload = false;
        Assert.Equal(2, receiver.SendBatch(batch));
        Assert.Equal(1, receiver.SendErrors);

        AssertSourcesFromAlternatingSenders(receiver, a, b, batch);
    }

    private static void AssertSourcesFromAlternatingSenders(UdpSocket receiver, UdpSocket a, UdpSocket b, DatagramBatch batch)
    {
        while (a.ReceiveBatch(batch) > 0 || b.ReceiveBatch(batch) > 0) { }
        UdpEndpoint to = EndpointOf(receiver);
        Span<byte> port = stackalloc byte[2];
        for (int k = 0; k < 8; k++)
        {
            UdpSocket from = k % 2 == 0 ? a : b;
            port[0] = (byte)(from.LocalPort >> 8);
            port[1] = (byte)from.LocalPort;
            Assert.True(from.SendTo(port, to));
        }

        int total = 0;
        for (int idle = 0; total < 8 && idle < 20;)
        {
            int n = receiver.ReceiveBatch(batch);
            for (int i = 0; i < n; i++)
            {
                Span<byte> payload = batch.Payload(i);
                Assert.Equal(2, payload.Length);
                Assert.Equal((payload[0] << 8) | payload[1], batch.Endpoint(i).Port);
                Assert.Equal(LoopbackPort((payload[0] << 8) | payload[1]), batch.Endpoint(i));
            }
            total += n;
            if (n == 0)
            {
                idle++;
                Libc.PollFd fd = new() { Fd = receiver.Handle, Events = Libc.POLLIN };
                Libc.Poll(&fd, 1, 100);
            }
        }
        Assert.Equal(8, total);
        Assert.Equal(0, receiver.ReceiveTruncated);
    }

    private static UdpEndpoint LoopbackPort(int port) => UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, port));
}
