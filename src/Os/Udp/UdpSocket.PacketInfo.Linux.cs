using Overlay.Os.Interop;
using Overlay.Protocol;

namespace Overlay.Os.Udp;

/// <summary>
/// Linux sticky source addresses: each received datagram's destination comes with it in an IPV6_PKTINFO
/// control message (IP_PKTINFO on an IPv4-only socket; a dual-stack socket reports IPv4 v4-mapped,
/// ip6_datagram_recv_common_ctl) and lands in <see cref="DatagramBatch.Local"/>; a send whose entry names a
/// local address carries it back as the source (ip(7) ipi_spec_dst, ipv6(7) ipi6_addr). When the kernel
/// refuses that source (EINVAL, ENETUNREACH or EADDRNOTAVAIL: the address left the host) the message is sent again
/// without it and the entry is marked (<see cref="DatagramBatch.LocalRefused"/>), as the kernel's WireGuard
/// retries its route lookup without the cached saddr (drivers/net/wireguard/socket.c): sticky, not too sticky.
/// </summary>
public sealed unsafe partial class UdpSocket
{
    private bool _packetInfo;
    private long _sourcesRefused;

    /// <summary>Whether the socket reports destinations and sends from given sources (a wildcard bind the kernel allowed it on).</summary>
    public bool PacketInfo => _packetInfo;

    /// <summary>Sends whose source the kernel refused, each then sent again without it.</summary>
    public long SourcesRefused => Volatile.Read(ref _sourcesRefused);

    private partial void EnablePacketInfo()
    {
        int r = _family == Libc.AF_INET6
            ? Libc.SetSockOpt(_rawFd, Libc.IPPROTO_IPV6, Libc.IPV6_RECVPKTINFO, 1)
            : Libc.SetSockOpt(_rawFd, Libc.IPPROTO_IP, Libc.IP_PKTINFO, 1);
        _packetInfo = r >= 0;
    }

    /// <summary>
    /// Reads the control messages of one received datagram: the UDP_GRO segment size (0 when absent) and the
    /// local address it was sent to (none when absent).
    /// </summary>
    internal static void ReadControl(byte* control, int length, out int segment, out LocalAddress local)
    {
        segment = 0;
        local = default;
        int offset = 0;
        while (offset + Libc.CmsgHeaderSize <= length)
        {
            nuint cmsgLength = *(nuint*)(control + offset);
            int level = *(int*)(control + offset + 8), type = *(int*)(control + offset + 12);
            if (cmsgLength < Libc.CmsgHeaderSize || cmsgLength > (nuint)(length - offset)) return;
            byte* data = control + offset + Libc.CmsgHeaderSize;
            nuint dataLength = cmsgLength - Libc.CmsgHeaderSize;
            if (level == Libc.SOL_UDP && type == Libc.UDP_GRO && dataLength >= sizeof(int))
            {
                segment = *(int*)data;
            }
            else if (level == Libc.IPPROTO_IPV6 && type == Libc.IPV6_PKTINFO && dataLength >= (nuint)sizeof(Libc.In6PktInfo))
            {
                var info = (Libc.In6PktInfo*)data;
                local = new LocalAddress(new ReadOnlySpan<byte>((byte*)&info->Address, 16), info->InterfaceIndex);
            }
            else if (level == Libc.IPPROTO_IP && type == Libc.IP_PKTINFO && dataLength >= (nuint)sizeof(Libc.InPktInfo))
            {
                // ipi_addr is the header's destination: what the peer sent to (the kernel's WireGuard uses daddr).
                var info = (Libc.InPktInfo*)data;
                local = new LocalAddress(new ReadOnlySpan<byte>((byte*)&info->Address, 4), info->InterfaceIndex);
            }
            offset += (int)((cmsgLength + 7) & ~(nuint)7);
        }
    }

    /// <summary>
    /// Writes the source control message for <paramref name="local"/> at <paramref name="control"/>; returns its
    /// CMSG_SPACE, or 0 when there is nothing to write (no source, or the socket does not do packet info).
    /// The interface goes along only for an IPv6 link-local source, which cannot be used without one: any other
    /// would pin the egress interface, sticky past a route change.
    /// </summary>
    private int WriteSource(byte* control, in LocalAddress local)
    {
        if (!_packetInfo || local.IsNone) return 0;
        byte* data = control + Libc.CmsgHeaderSize;
        if (_family == Libc.AF_INET6)
        {
            var info = (Libc.In6PktInfo*)data;
            var address = new Span<byte>((byte*)&info->Address, 16);
            address.Clear();
            if (local.IsV4)
            {
                address[10] = 0xff;
                address[11] = 0xff;
                local.WriteAddress(address[12..]);
            }
            else
            {
                local.WriteAddress(address);
            }
            info->InterfaceIndex = local.IsLinkLocal6 ? local.InterfaceIndex : 0;
            *(nuint*)control = (nuint)(Libc.CmsgHeaderSize + sizeof(Libc.In6PktInfo));
            *(int*)(control + 8) = Libc.IPPROTO_IPV6;
            *(int*)(control + 12) = Libc.IPV6_PKTINFO;
            return Libc.CmsgSpaceIn6PktInfo;
        }
        if (!local.IsV4) return 0;
        var info4 = (Libc.InPktInfo*)data;
        info4->InterfaceIndex = 0;
        info4->Address = 0;
        uint spec;
        local.WriteAddress(new Span<byte>(&spec, 4));
        info4->SpecificDestination = spec;
        *(nuint*)control = (nuint)(Libc.CmsgHeaderSize + sizeof(Libc.InPktInfo));
        *(int*)(control + 8) = Libc.IPPROTO_IP;
        *(int*)(control + 12) = Libc.IP_PKTINFO;
        return Libc.CmsgSpaceInPktInfo;
    }

    /// <summary>
    /// After sendmmsg refused <paramref name="header"/> with <paramref name="errno"/>: when that can be its source
    /// and it carries one, drops the source cmsg (the last one the message has), marks entries [first, end) and
    /// returns true so the caller sends it again. An IPv6 source that is not local gives EINVAL
    /// (ip6_datagram_send_ctl); an IPv4 one ENETUNREACH from the route lookup (ip_route_output_key_hash_rcu on
    /// current kernels, EINVAL on older ones); EADDRNOTAVAIL covers the rest. A real ENETUNREACH costs one more
    /// attempt and the source, which the next datagram from the peer teaches again.
    /// </summary>
    private bool DropRefusedSource(ref Libc.MsgHdr header, int errno, DatagramBatch batch, int first, int end)
    {
        if (errno != Libc.EINVAL && errno != Libc.EADDRNOTAVAIL && errno != Libc.ENETUNREACH) return false;
        if (!_packetInfo || header.ControlLength == 0 || batch.Local(first).IsNone || batch.LocalRefused(first)) return false;
        int space = _family == Libc.AF_INET6 ? Libc.CmsgSpaceIn6PktInfo : Libc.CmsgSpaceInPktInfo;
        if (header.ControlLength < (nuint)space) return false;
        header.ControlLength -= (nuint)space;
        if (header.ControlLength == 0) header.Control = null;
        for (int i = first; i < end; i++) batch.MarkLocalRefused(i);
        _sourcesRefused++;
        return true;
    }
}
