using System.Net;
using Overlay.Protocol;
using Overlay.Os.Udp;

namespace Overlay.Tests.Fakes;

/// <summary>
/// An in-memory UDP underlay (wireguard-go's bindtest idea): ports are attached at an
/// endpoint; a datagram sent to an endpoint lands in that port's inbox with the sender's
/// endpoint as source and the address it was sent to as its local address (as IP_PKTINFO
/// reports it). A port may own more addresses (<see cref="AddAddress"/>), like a host with
/// several: it sends from the entry's <see cref="DatagramBatch.Local"/> source when it owns that
/// address, and otherwise refuses the source and sends from its first address, as the real
/// socket does when the kernel refuses one. <see cref="Rewrite"/> sees every datagram, can
/// play a NAT (roaming tests) or drop traffic.
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

    /// <summary>Gives <paramref name="port"/> another address (same port number): datagrams to it arrive there.</summary>
    public void AddAddress(FakeUdpPort port, string ip)
    {
        var endpoint = new UdpEndpoint(IPAddress.Parse(ip).GetAddressBytes(), port.Local.Port);
        _ports[endpoint] = port;
        port.Addresses.Add(endpoint);
    }

    /// <summary>Takes an address added with <see cref="AddAddress"/> away again (the address left the host).</summary>
    public void RemoveAddress(FakeUdpPort port, string ip)
    {
        var endpoint = new UdpEndpoint(IPAddress.Parse(ip).GetAddressBytes(), port.Local.Port);
        _ports.Remove(endpoint);
        port.Addresses.Remove(endpoint);
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
        Span<byte> address = stackalloc byte[16];
        var local = new LocalAddress(address[..destination.WriteAddress(address)], 0);
        if (_ports.TryGetValue(destination, out FakeUdpPort? port) && port.Inbox.Enqueue(datagram, source, local))
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
    /// <summary>Addresses besides <see cref="Local"/>'s (<see cref="FakeNetwork.AddAddress"/>), with its port.</summary>
    public List<UdpEndpoint> Addresses { get; } = [];
    /// <summary>Sends whose source this port refused (not one of its addresses), each sent from <see cref="Local"/> instead.</summary>
    public long SourcesRefused { get; private set; }

    public int ReceiveBatch(DatagramBatch batch)
    {
        int n = 0;
        while (n < batch.Capacity)
        {
            Span<byte> dest = batch.Frame(n)[batch.Headroom..];
            int len = Inbox.Dequeue(dest, out UdpEndpoint src, out bool truncated, out LocalAddress local);
            if (len < 0) break;
            if (truncated) { ReceiveTruncated++; continue; } // as the real socket: MSG_TRUNC drops it
            batch.Length(n) = len;
            batch.Endpoint(n) = src;
            batch.Local(n) = local;
            n++;
        }
        batch.Count = n;
        return n;
    }

    public int SendBatch(DatagramBatch batch)
    {
        batch.ResetLocalRefusals();
        for (int i = 0; i < batch.Count; i++)
            _network.Deliver(SourceFor(batch, i), batch.Endpoint(i), batch.Payload(i));
        return batch.Count;
    }

    private UdpEndpoint SourceFor(DatagramBatch batch, int i)
    {
        LocalAddress local = batch.Local(i);
        if (local.IsNone) return Local;
        Span<byte> address = stackalloc byte[16];
        var from = new UdpEndpoint(address[..local.WriteAddress(address)], Local.Port);
        if (from == Local || Addresses.Contains(from)) return from;
        batch.MarkLocalRefused(i);
        SourcesRefused++;
        return Local;
    }
}
