using System.Net;
using Overlay.Protocol;
using Overlay.Os.Interop;
using Overlay.Os.Udp;

namespace Overlay.Os.Tests.Udp;

/// <summary>
/// <see cref="UdpSocket.ReceiveBatch"/> does bounded work per call: a flood of datagrams that are all
/// dropped (larger than a frame) must not keep the loop thread inside one call. Loopback only.
/// </summary>
public sealed unsafe class UdpReceiveBoundTests
{
    [Fact]
    public void ReceiveBatch_FloodOfOversizedDatagrams_ReturnsAfterBoundedWorkAndCountsThem()
    {
        const int Flood = 200;
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(8, 256, 16);
        var to = UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, receiver.LocalPort));
        byte[] big = new byte[1000];
        for (int i = 0; i < Flood; i++) Assert.True(sender.SendTo(big, to));
        WaitReadable(receiver);

        Assert.Equal(0, receiver.ReceiveBatch(batch));
        Assert.Equal(UdpSocket.MaxReceiveRounds * batch.Capacity, receiver.ReceiveTruncated);

        // Later calls (the poll loop's next turns) drain the rest, and a good datagram behind them arrives.
        Assert.True(sender.SendTo(new byte[] { 1, 2, 3 }, to));
        int calls = 1, got = 0;
        while (got == 0 && calls < 50)
        {
            got = receiver.ReceiveBatch(batch);
            calls++;
        }
        Assert.Equal(1, got);
        Assert.Equal(new byte[] { 1, 2, 3 }, batch.Payload(0).ToArray());
        Assert.Equal(Flood, receiver.ReceiveTruncated);
        Assert.Equal(Flood / (UdpSocket.MaxReceiveRounds * batch.Capacity) + 1, calls);
    }

    private static void WaitReadable(UdpSocket socket)
    {
        Libc.PollFd fd = new() { Fd = socket.Handle, Events = Libc.POLLIN };
        Libc.Poll(&fd, 1, 1000);
    }
}
