using Overlay.Tests.Fakes;
using System.Net;
using System.Net.Sockets;
using Overlay.Protocol;
using Overlay.Os.Interop;
using Overlay.Os.Udp;

namespace Overlay.Os.Tests.Udp;

/// <summary>UDP over loopback only (127.0.0.1 and ::1), per the network rules of these machines.</summary>
public sealed unsafe class UdpSocketTests
{
    private const int BatchSize = 32;

    private static bool HasIpv6Loopback()
    {
        try
        {
            using var s = UdpSocket.Bind(0, IPAddress.IPv6Loopback);
            return true;
        }
        catch (SystemCallException)
        {
            return false;
        }
    }

    private static UdpEndpoint EndpointOf(UdpSocket socket, IPAddress address) =>
        UdpEndpoint.From(new IPEndPoint(address, socket.LocalPort));

    private static void Fill(DatagramBatch batch, int count, UdpEndpoint destination, int seed)
    {
        for (int i = 0; i < count; i++)
        {
            int length = 1 + (i * 37 + seed) % 1200;
            batch.Length(i) = length;
            Span<byte> payload = batch.Payload(i);
            for (int k = 0; k < length; k++) payload[k] = (byte)(i * 7 + k + seed);
            batch.Endpoint(i) = destination;
        }
        batch.Count = count;
    }

    /// <summary>Receives until <paramref name="expected"/> datagrams arrived or 2 s of silence.</summary>
    private static List<(UdpEndpoint Source, byte[] Payload)> ReceiveAll(UdpSocket socket, DatagramBatch batch, int expected)
    {
        var got = new List<(UdpEndpoint, byte[])>();
        int idleTurns = 0;
        while (got.Count < expected && idleTurns < 20)
        {
            int n = socket.ReceiveBatch(batch);
            for (int i = 0; i < n; i++) got.Add((batch.Endpoint(i), batch.Payload(i).ToArray()));
            if (n == 0)
            {
                idleTurns++;
                WaitReadable(socket, 100);
            }
        }
        return got;
    }

    private static void WaitReadable(UdpSocket socket, int timeoutMs)
    {
        Libc.PollFd fd = new() { Fd = socket.Handle, Events = Libc.POLLIN };
        Libc.Poll(&fd, 1, timeoutMs);
    }

    [Fact]
    public void Bind_NoAddress_IsDualStackWithEphemeralPort()
    {
        using var s = UdpSocket.Bind(0);
        Assert.Equal(AddressFamily.InterNetworkV6, s.AddressFamily);
        Assert.InRange(s.LocalPort, 1, 65535);
        Assert.True(s.Handle >= 0);
    }

    [Fact]
    public void Bind_Ipv4Address_IsIpv4Only()
    {
        using var s = UdpSocket.Bind(0, IPAddress.Loopback);
        Assert.Equal(AddressFamily.InterNetwork, s.AddressFamily);
    }

    [Fact]
    public void Bind_PortInUse_ThrowsNamingBindAndEaddrinuse()
    {
        using var first = UdpSocket.Bind(0, IPAddress.Loopback);
        var ex = Assert.Throws<SystemCallException>(() => UdpSocket.Bind(first.LocalPort, IPAddress.Loopback));
        Assert.Equal(Errno.EADDRINUSE, ex.Errno);
        Assert.StartsWith($"bind(UDP 127.0.0.1 port {first.LocalPort}): EADDRINUSE", ex.Message);
        Assert.Contains("in use by another process", ex.Message);
    }

    [SkippableFact]
    public void Bind_AsRoot_GetsLargeBuffers()
    {
        Skip.IfNot(Libc.GetUid() == 0, "SO_RCVBUFFORCE needs CAP_NET_ADMIN");
        using var s = UdpSocket.Bind(0, IPAddress.Loopback);
        Assert.True(s.ReceiveBufferSize >= UdpSocket.SocketBufferBytes, $"SO_RCVBUF {s.ReceiveBufferSize}");
        Assert.True(s.SendBufferSize >= UdpSocket.SocketBufferBytes, $"SO_SNDBUF {s.SendBufferSize}");
    }

    [Fact]
    public void ReceiveBatch_NothingWaiting_ReturnsZero()
    {
        using var s = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(4, 2048, 16);
        Assert.Equal(0, s.ReceiveBatch(batch));
        Assert.Equal(0, batch.Count);
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void SendBatch_ThenReceiveBatch_Loopback_DeliversPayloadsAndSources(string address)
    {
        IPAddress ip = IPAddress.Parse(address);
        Skip.If(ip.AddressFamily == AddressFamily.InterNetworkV6 && !HasIpv6Loopback(), "no IPv6 loopback");
        using var sender = UdpSocket.Bind(0, ip);
        using var receiver = UdpSocket.Bind(0, ip);
        using var outgoing = new DatagramBatch(BatchSize, 2048, 16);
        using var incoming = new DatagramBatch(BatchSize, 2048, 16);
        Fill(outgoing, BatchSize, EndpointOf(receiver, ip), seed: 3);

        Assert.Equal(BatchSize, sender.SendBatch(outgoing));
        var got = ReceiveAll(receiver, incoming, BatchSize);

        Assert.Equal(BatchSize, got.Count);
        UdpEndpoint expectedSource = EndpointOf(sender, ip);
        for (int i = 0; i < BatchSize; i++)
        {
            Assert.Equal(expectedSource, got[i].Source);
            Assert.Equal(outgoing.Payload(i).ToArray(), got[i].Payload);
        }
        Assert.Equal(0, sender.SendErrors);
    }

    [Fact]
    public void DualStackSocket_Ipv4Peer_SeenAsIpv4Endpoint_AndRepliedTo()
    {
        using var dual = UdpSocket.Bind(0);
        using var v4 = UdpSocket.Bind(0, IPAddress.Loopback);
        using var batch = new DatagramBatch(4, 2048, 16);

        Assert.True(v4.SendTo("ping"u8, EndpointOf(dual, IPAddress.Loopback)));
        var got = ReceiveAll(dual, batch, 1);
        Assert.Single(got);
        Assert.True(got[0].Source.IsV4);
        Assert.Equal(EndpointOf(v4, IPAddress.Loopback), got[0].Source);
        Assert.Equal("ping"u8.ToArray(), got[0].Payload);

        Assert.True(dual.SendTo("pong"u8, got[0].Source));
        var reply = ReceiveAll(v4, batch, 1);
        Assert.Single(reply);
        Assert.Equal("pong"u8.ToArray(), reply[0].Payload);
    }

    [Fact]
    public void SendBatch_UnreachableEntry_CountedAndOthersSent()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var outgoing = new DatagramBatch(3, 256, 0);
        using var incoming = new DatagramBatch(4, 256, 0);
        Fill(outgoing, 3, EndpointOf(receiver, IPAddress.Loopback), seed: 1);
        outgoing.Endpoint(1) = UdpEndpoint.From(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 9)); // no route from an IPv4 socket

        Assert.Equal(3, sender.SendBatch(outgoing));
        Assert.Equal(1, sender.SendErrors);
        var got = ReceiveAll(receiver, incoming, 2);
        Assert.Equal(2, got.Count);
        Assert.Equal(outgoing.Payload(0).ToArray(), got[0].Payload);
        Assert.Equal(outgoing.Payload(2).ToArray(), got[1].Payload);
    }

    [Fact]
    public void SendTo_NoEndpoint_ReturnsFalseAndCounts()
    {
        using var s = UdpSocket.Bind(0, IPAddress.Loopback);
        Assert.False(s.SendTo("x"u8, default));
        Assert.Equal(1, s.SendErrors);
    }

    [Fact]
    public void ReceiveBatch_DatagramLargerThanFrame_DroppedAndCounted_LaterOnesKept()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var incoming = new DatagramBatch(4, 64, 16); // 48-byte payloads
        UdpEndpoint to = EndpointOf(receiver, IPAddress.Loopback);
        Assert.True(sender.SendTo(new byte[100], to));
        Assert.True(sender.SendTo("small"u8, to));
        Assert.True(sender.SendTo("tail"u8, to));

        var got = ReceiveAll(receiver, incoming, 2);
        Assert.Equal(2, got.Count);
        Assert.Equal("small"u8.ToArray(), got[0].Payload);
        Assert.Equal("tail"u8.ToArray(), got[1].Payload);
        Assert.Equal(1, receiver.ReceiveTruncated);
    }

    [Fact]
    public void SendBatchReceiveBatch_AfterWarmUp_AllocateNothing()
    {
        using var sender = UdpSocket.Bind(0, IPAddress.Loopback);
        using var receiver = UdpSocket.Bind(0, IPAddress.Loopback);
        using var outgoing = new DatagramBatch(BatchSize, 2048, 16);
        using var incoming = new DatagramBatch(BatchSize, 2048, 16);
        Fill(outgoing, BatchSize, EndpointOf(receiver, IPAddress.Loopback), seed: 5);

        int shortExchanges = 0;
        long allocated = AllocationProbe.SteadyStateBytes(() =>
        {
            if (Exchange(sender, receiver, outgoing, incoming) != BatchSize) shortExchanges++;
        }, warmUp: 20, rounds: 300);

        Assert.Equal(0, allocated);
        Assert.Equal(0, shortExchanges);
    }

    private static int Exchange(UdpSocket sender, UdpSocket receiver, DatagramBatch outgoing, DatagramBatch incoming)
    {
        outgoing.Count = BatchSize;
        if (sender.SendBatch(outgoing) != BatchSize) return 0;
        int total = 0;
        for (int attempt = 0; total < BatchSize && attempt < 50; attempt++)
        {
            int n = receiver.ReceiveBatch(incoming);
            total += n;
            if (n == 0) WaitReadable(receiver, 100);
        }
        return total;
    }
}
