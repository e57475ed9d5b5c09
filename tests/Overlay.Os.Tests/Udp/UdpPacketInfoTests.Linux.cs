using System.Net;
using Overlay.Os.Interop;
using Overlay.Os.Udp;
using Overlay.Protocol;
using static Overlay.Os.Tests.Udp.LoopbackDatagrams;

namespace Overlay.Os.Tests.Udp;

/// <summary>
/// Sticky source addresses at the socket (IP_PKTINFO / IPV6_PKTINFO): a wildcard socket reports each
/// datagram's destination, sends from a given source, and falls back to the kernel's choice when that
/// source is not an address of the host. Loopback only: 127.0.0.0/8 is all local on lo, so 127.0.0.2 is a
/// second address without any setup; 198.18.99.99 is one this host does not have (nothing is sent to it).
/// </summary>
public sealed unsafe class UdpPacketInfoTests
{
    private static UdpEndpoint At(string ip, int port) => UdpEndpoint.From(new IPEndPoint(IPAddress.Parse(ip), port));

    private static LocalAddress Local(string ip) => new(IPAddress.Parse(ip).GetAddressBytes(), 0);

    /// <summary>Receives until <paramref name="expected"/> datagrams came (bounded): (payload length, source, destination).</summary>
    private static List<(int Length, UdpEndpoint Source, LocalAddress Destination)> ReceiveAll(UdpSocket socket, int expected)
    {
        using var batch = new DatagramBatch(8, 2048, 16);
        var got = new List<(int, UdpEndpoint, LocalAddress)>();
        for (int idle = 0; got.Count < expected && idle < 20;)
        {
            int n = socket.ReceiveBatch(batch);
            for (int i = 0; i < n; i++) got.Add((batch.Length(i), batch.Endpoint(i), batch.Local(i)));
            if (n == 0)
            {
                idle++;
                Libc.PollFd fd = new() { Fd = socket.Handle, Events = Libc.POLLIN };
                Libc.Poll(&fd, 1, 100);
            }
        }
        return got;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReceiveBatch_DualStackWildcard_ReportsEachDatagramsDestination(bool gro)
    {
        using var receiver = UdpSocket.Bind(0);
        if (!gro) receiver.DisableReceiveOffloadForTest();
        using var sender = UdpSocket.Bind(0);
        using var batch = new DatagramBatch(4, 2048, 0);
        Put(batch, 0, 100, At("127.0.0.1", receiver.LocalPort), 0);
        Put(batch, 1, 101, At("127.0.0.2", receiver.LocalPort), 1);
        Put(batch, 2, 102, At("::1", receiver.LocalPort), 2);
        batch.Count = 3;

        Assert.Equal(3, sender.SendBatch(batch));

        var got = ReceiveAll(receiver, 3).OrderBy(d => d.Length).ToList();
        Assert.True(receiver.PacketInfo);
        Assert.Equal(gro, receiver.ReceiveOffload);
        Assert.Equal(3, got.Count);
        Assert.Equal(Local("127.0.0.1").Address, got[0].Destination.Address);
        Assert.True(got[0].Destination.IsV4);
        Assert.Equal(Local("127.0.0.2").Address, got[1].Destination.Address);
        Assert.Equal(Local("::1").Address, got[2].Destination.Address);
        Assert.True(got[0].Destination.InterfaceIndex > 0);
    }

    [Fact]
    public void Bind_ToAnAddress_NoPacketInfo()
    {
        using var socket = UdpSocket.Bind(0, IPAddress.Loopback);
        Assert.False(socket.PacketInfo);
    }

    [Theory]
    [InlineData("127.0.0.2", "127.0.0.1")]
    [InlineData("127.0.0.1", "127.0.0.2")]
    public void SendBatch_SourceGiven_DatagramLeavesFromIt(string source, string otherSource)
    {
        using var receiver = UdpSocket.Bind(0);
        using var sender = UdpSocket.Bind(0);
        using var batch = new DatagramBatch(4, 2048, 0);
        // Two runs of equal datagrams to one destination that differ only in source: UDP GSO must not merge them.
        for (int i = 0; i < 4; i++)
        {
            Put(batch, i, 200, At("127.0.0.1", receiver.LocalPort), i);
            batch.Local(i) = Local(i < 2 ? source : otherSource);
        }
        batch.Count = 4;

        Assert.Equal(4, sender.SendBatch(batch));

        var got = ReceiveAll(receiver, 4);
        Assert.Equal(4, got.Count);
        Assert.Equal(2, got.Count(d => d.Source == At(source, sender.LocalPort)));
        Assert.Equal(2, got.Count(d => d.Source == At(otherSource, sender.LocalPort)));
        Assert.Equal(0, batch.LocalRefusals);
        Assert.Equal(0, sender.SourcesRefused);
    }

    [Theory]
    [InlineData("198.18.99.99", "127.0.0.1", 1)]
    [InlineData("198.18.99.99", "127.0.0.1", 3)]   // a coalesced run (UDP_SEGMENT + source) refused as one message
    [InlineData("2001:2:0:99::99", "::1", 1)]
    public void SendBatch_SourceNotOnThisHost_ResentWithoutItAndMarkedRefused(string gone, string destination, int count)
    {
        using var receiver = UdpSocket.Bind(0);
        using var sender = UdpSocket.Bind(0);
        using var batch = new DatagramBatch(4, 2048, 0);
        for (int i = 0; i < count; i++)
        {
            Put(batch, i, 300, At(destination, receiver.LocalPort), i);
            batch.Local(i) = Local(gone);
        }
        Put(batch, count, 50, At(destination, receiver.LocalPort), 9);
        batch.Local(count) = default;
        batch.Count = count + 1;

        Assert.Equal(count + 1, sender.SendBatch(batch));

        var got = ReceiveAll(receiver, count + 1);
        Assert.Equal(count + 1, got.Count);
        Assert.All(got, d => Assert.Equal(At(destination, sender.LocalPort), d.Source));
        Assert.Equal(count, batch.LocalRefusals);
        for (int i = 0; i < count; i++) Assert.True(batch.LocalRefused(i));
        Assert.False(batch.LocalRefused(count));
        Assert.Equal(1, sender.SourcesRefused);
        Assert.Equal(0, sender.SendErrors);

        // The next send starts with clean marks.
        batch.Count = 1;
        batch.Local(0) = default;
        Assert.Equal(1, sender.SendBatch(batch));
        Assert.Equal(0, batch.LocalRefusals);
        Assert.False(batch.LocalRefused(0));
    }

    [Fact]
    public void ReceiveBatch_WithPacketInfo_AllocatesNothing()
    {
        using var receiver = UdpSocket.Bind(0);
        using var sender = UdpSocket.Bind(0);
        using var tx = new DatagramBatch(8, 2048, 0);
        using var rx = new DatagramBatch(8, 2048, 16);
        for (int i = 0; i < 8; i++)
        {
            Put(tx, i, 64 + i, At(i % 2 == 0 ? "127.0.0.1" : "127.0.0.2", receiver.LocalPort), i);
            tx.Local(i) = Local(i % 2 == 0 ? "127.0.0.2" : "127.0.0.1");
        }
        void Round()
        {
            tx.Count = 8;
            sender.SendBatch(tx);
            for (int got = 0, idle = 0; got < 8 && idle < 20;)
            {
                int n = receiver.ReceiveBatch(rx);
                got += n;
                if (n == 0)
                {
                    idle++;
                    Libc.PollFd fd = new() { Fd = receiver.Handle, Events = Libc.POLLIN };
                    Libc.Poll(&fd, 1, 100);
                }
            }
        }
        long allocated = Overlay.Tests.Fakes.AllocationProbe.SteadyStateBytes(Round, warmUp: 20, rounds: 200, out _);
        Assert.Equal(0, allocated);
    }
}
