using System.Net;
using Overlay.Protocol;
using Overlay.Os.Udp;

namespace Overlay.Tests.Fakes;

/// <summary>
/// An in-memory UDP underlay (wireguard-go's bindtest idea): ports are attached at an
/// endpoint; a datagram sent to an endpoint lands in that port's inbox with the sender's
/// endpoint as source. <see cref="Observe"/> sees every datagram (for wire assertions), and
/// <see cref="Rewrite"/> can play a NAT (roaming tests) or drop traffic.
/// </summary>
public sealed class FakeNetwork
{
    private readonly Dictionary<UdpEndpoint, FakeUdpPort> _ports = new();

    public delegate bool Filter(ref UdpEndpoint source, UdpEndpoint destination, ReadOnlySpan<byte> datagram);

    /// <summary>Return false to drop; may change the source (NAT rebinding).</summary>
    public Filter? Rewrite { get; set; }
    public long Delivered { get; private set; }
    public long Lost { get; private set; }

    /// <param name="slots">Datagrams the port's inbox holds.</param>
    /// <param name="slotSize">The largest datagram it holds; raise it (with fewer slots) for large-MTU tests.</param>
    public FakeUdpPort Attach(string ipPort, int slots = 1024, int slotSize = 16 * 1024)
    {
        var port = new FakeUdpPort(this, UdpEndpoint.From(IPEndPoint.Parse(ipPort)), new PacketRing(slots, slotSize));
        _ports[port.Local] = port;
        return port;
    }

    public void Move(FakeUdpPort port, string newIpPort)
    {
        _ports.Remove(port.Local);
        port.Local = UdpEndpoint.From(IPEndPoint.Parse(newIpPort));
        _ports[port.Local] = port;
    }

    internal void Deliver(UdpEndpoint source, UdpEndpoint destination, ReadOnlySpan<byte> datagram)
    {
        if (Rewrite is not null && !Rewrite(ref source, destination, datagram)) { Lost++; return; }
        if (_ports.TryGetValue(destination, out FakeUdpPort? port) && port.Inbox.Enqueue(datagram, source))
            Delivered++;
        else
            Lost++;
    }
}

public sealed class FakeUdpPort : IUdpPort
{
    private readonly FakeNetwork _network;

    internal FakeUdpPort(FakeNetwork network, UdpEndpoint local, PacketRing inbox)
    {
        _network = network;
        Local = local;
        Inbox = inbox;
    }

    public UdpEndpoint Local { get; internal set; }
    public PacketRing Inbox { get; }
    public int LocalPort => Local.Port;
    public long SendErrors { get; set; }
    public long ReceiveTruncated { get; private set; }

    public int ReceiveBatch(DatagramBatch batch)
    {
        int n = 0;
        while (n < batch.Capacity)
        {
            Span<byte> dest = batch.Frame(n)[batch.Headroom..];
            int len = Inbox.Dequeue(dest, out UdpEndpoint src, out bool truncated);
            if (len < 0) break;
            if (truncated) { ReceiveTruncated++; continue; } // as the real socket: MSG_TRUNC drops it
            batch.Length(n) = len;
            batch.Endpoint(n) = src;
            n++;
        }
        batch.Count = n;
        return n;
    }

    public int SendBatch(DatagramBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
            _network.Deliver(Local, batch.Endpoint(i), batch.Payload(i));
        return batch.Count;
    }
}
