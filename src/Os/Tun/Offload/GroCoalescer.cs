using System.Buffers.Binary;

namespace Overlay.Os.Tun.Offload;

/// <summary>What <see cref="GroCoalescer.Add"/> did with a packet.</summary>
internal enum GroResult
{
    /// <summary>Nothing was pending; the packet is now the pending one.</summary>
    Started,
    /// <summary>Appended to the pending super-packet.</summary>
    Appended,
    /// <summary>Could join a super-packet but not the pending one: flush, then add it again.</summary>
    FlushFirst,
    /// <summary>Never coalesced (not TCP/UDP data, flags, options, fragments): flush, then write it plain.</summary>
    Rejected,
}

/// <summary>
/// Receive-side coalescing for a tun opened with IFF_VNET_HDR (the kernel's GRO, done before
/// the write): consecutive in-order segments of one TCP flow (TSO) or equal-sized datagrams of
/// one UDP flow (USO) become one super-packet behind a virtio-net header, so the kernel walks
/// its stack once for many segments. One flow is pending at a time; a packet of another flow
/// asks for a flush first (<see cref="GroResult.FlushFirst"/>), which keeps every flow's order.
///
/// A segment joins the pending TCP super-packet only when the kernel's tcp_gro_receive would
/// take it: IPv4 without options and not a fragment, same addresses, ports, TOS/traffic class,
/// TTL/hop limit and DF; only ACK (and PSH) set; the same ack number, the same TCP options bytes;
/// sequence number right after the pending bytes; payload no larger than the first segment's,
/// and nothing after a shorter segment or one with PSH. UDP: the same flow rules and sizes.
///
/// Each segment's IPv4 header and L4 checksums are verified first (<see cref="ChecksumsValid"/>).
/// The buffer is the caller's (10 bytes of header room plus up to 64 KiB); nothing allocates.
/// A single pending packet flushes unchanged with a GSO_NONE header; two or more flush with
/// their lengths rewritten and the L4 checksum field holding the pseudo-header sum
/// (NEEDS_CSUM, what the kernel's CHECKSUM_PARTIAL expects).
/// </summary>
internal sealed class GroCoalescer
{
    private const int MaxIpPacket = 65535;
    private const byte TcpAck = 0x10, TcpPsh = 0x08;

    private readonly byte[] _buffer;
    private readonly bool _tcp;
    private readonly bool _udp;
    private L4Packet _layout;
    private int _length;          // bytes of the pending packet (after the 10-byte header room)
    private int _segments;
    private int _gsoSize;
    private bool _closed;         // a shorter or PSH segment ended the super-packet

    /// <param name="buffer">At least 10 + 65535 bytes, owned by the caller, used only by this instance.</param>
    /// <param name="tcp">Coalesce TCP (the tun accepted TUN_F_TSO4|TUN_F_TSO6).</param>
    /// <param name="udp">Coalesce UDP (the tun accepted TUN_F_USO4|TUN_F_USO6).</param>
    public GroCoalescer(byte[] buffer, bool tcp, bool udp)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length < VirtioNetHeader.Length + MaxIpPacket)
            throw new ArgumentException($"buffer must hold at least {VirtioNetHeader.Length + MaxIpPacket} bytes", nameof(buffer));
        _buffer = buffer;
        _tcp = tcp;
        _udp = udp;
    }

    public bool HasPending => _segments > 0;

    /// <summary>Segments in the pending packet.</summary>
    public int PendingSegments => _segments;

    public GroResult Add(ReadOnlySpan<byte> packet)
    {
        if (!L4Packet.TryParse(packet, allowIpv4Options: false, out var l)) return GroResult.Rejected;
        if (l.Protocol == L4Packet.ProtocolTcp ? !_tcp : !_udp) return GroResult.Rejected;
        if (!HasConsistentLength(packet, l)) return GroResult.Rejected;
        int payload = packet.Length - l.HeaderLength;
        if (payload == 0) return GroResult.Rejected;
        if (l.Protocol == L4Packet.ProtocolTcp && (packet[l.IpHeaderLength + 13] & ~TcpPsh) != TcpAck)
            return GroResult.Rejected;
        if (!ChecksumsValid(packet, l)) return GroResult.Rejected;

        if (_segments == 0)
        {
            packet.CopyTo(_buffer.AsSpan(VirtioNetHeader.Length));
            _layout = l;
            _length = packet.Length;
            _segments = 1;
            _gsoSize = payload;
            _closed = l.Protocol == L4Packet.ProtocolTcp && (packet[l.IpHeaderLength + 13] & TcpPsh) != 0;
            return GroResult.Started;
        }
        if (_closed || payload > _gsoSize || _length + payload > MaxIpPacket || !SameFlow(packet, l))
            return GroResult.FlushFirst;

        Span<byte> pending = _buffer.AsSpan(VirtioNetHeader.Length, _length);
        int l4 = l.IpHeaderLength;
        if (l.Protocol == L4Packet.ProtocolTcp)
        {
            uint nextSeq = BinaryPrimitives.ReadUInt32BigEndian(pending[(l4 + 4)..]) + (uint)(_length - l.HeaderLength);
            if (BinaryPrimitives.ReadUInt32BigEndian(packet[(l4 + 4)..]) != nextSeq) return GroResult.FlushFirst;
            if (BinaryPrimitives.ReadUInt32BigEndian(packet[(l4 + 8)..]) != BinaryPrimitives.ReadUInt32BigEndian(pending[(l4 + 8)..]))
                return GroResult.FlushFirst;
            if (!packet.Slice(l4 + L4Packet.TcpMinHeader, l.L4HeaderLength - L4Packet.TcpMinHeader)
                    .SequenceEqual(pending.Slice(l4 + L4Packet.TcpMinHeader, l.L4HeaderLength - L4Packet.TcpMinHeader)))
                return GroResult.FlushFirst;
        }

        packet[l.HeaderLength..].CopyTo(_buffer.AsSpan(VirtioNetHeader.Length + _length));
        _length += payload;
        _segments++;
        if (payload < _gsoSize) _closed = true;
        if (l.Protocol == L4Packet.ProtocolTcp && (packet[l4 + 13] & TcpPsh) != 0)
        {
            _buffer[VirtioNetHeader.Length + l4 + 13] |= TcpPsh;
            _closed = true;
        }
        return GroResult.Appended;
    }

    /// <summary>
    /// Finishes the pending packet and returns it with its virtio-net header in front, ready for
    /// one write to the tun; the span stays valid until the next <see cref="Add"/>. Empty when
    /// nothing is pending.
    /// </summary>
    public ReadOnlySpan<byte> Flush()
    {
        if (_segments == 0) return default;
        Span<byte> all = _buffer.AsSpan(0, VirtioNetHeader.Length + _length);
        Span<byte> packet = all[VirtioNetHeader.Length..];
        if (_segments == 1)
        {
            VirtioNetHeader.WriteNone(all);
        }
        else
        {
            L4Packet l = _layout;
            int l4 = l.IpHeaderLength;
            l.WriteIpLength(packet, _length);
            if (l.Protocol == L4Packet.ProtocolUdp)
                BinaryPrimitives.WriteUInt16BigEndian(packet[(l4 + 4)..], (ushort)(_length - l4));
            BinaryPrimitives.WriteUInt16BigEndian(packet[l.ChecksumOffset..], (ushort)l.PseudoHeaderSum(packet, _length - l4));
            new VirtioNetHeader
            {
                Flags = VirtioNetHeader.FlagNeedsCsum,
                GsoType = l.Protocol == L4Packet.ProtocolUdp ? VirtioNetHeader.GsoUdpL4
                    : l.IsV6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
                HdrLen = (ushort)l.HeaderLength,
                GsoSize = (ushort)_gsoSize,
                CsumStart = (ushort)l4,
                CsumOffset = (ushort)(l.ChecksumOffset - l4),
            }.Write(all);
        }
        _segments = 0;
        _length = 0;
        return all;
    }

    /// <summary>Drops whatever is pending (after a failed write, or on reset).</summary>
    public void Clear()
    {
        _segments = 0;
        _length = 0;
    }

    /// <summary>
    /// The kernel's GRO validates checksums before it merges (skb_gro_checksum_validate), and so do
    /// we: the super-packet goes up as CHECKSUM_PARTIAL, which the stack trusts, so a segment with a
    /// bad checksum must go up alone, where the kernel checks it and counts the error
    /// (TcpInCsumErrors/UdpInCsumErrors) instead of delivering corrupt data. An IPv4 UDP datagram
    /// without a checksum (0) also goes alone.
    /// </summary>
    private static bool ChecksumsValid(ReadOnlySpan<byte> packet, in L4Packet l)
    {
        int ip = l.IpHeaderLength;
        if (!l.IsV6 && InternetChecksum.Finish(InternetChecksum.Sum(packet[..ip])) != 0) return false;
        if (l.Protocol == L4Packet.ProtocolUdp && packet[ip + 6] == 0 && packet[ip + 7] == 0) return false;
        uint sum = InternetChecksum.Sum(packet[ip..], l.PseudoHeaderSum(packet, packet.Length - ip));
        return InternetChecksum.Finish(sum) == 0;
    }

    /// <summary>The IP length field must match what was received: padding or truncation is not coalesced.</summary>
    private static bool HasConsistentLength(ReadOnlySpan<byte> packet, in L4Packet l)
    {
        if (l.IsV6) return BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + L4Packet.Ipv6Header == packet.Length;
        if (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length) return false;
        if (l.Protocol == L4Packet.ProtocolUdp)
            return BinaryPrimitives.ReadUInt16BigEndian(packet[(l.IpHeaderLength + 4)..]) == packet.Length - l.IpHeaderLength;
        return true;
    }

    private bool SameFlow(ReadOnlySpan<byte> packet, in L4Packet l)
    {
        L4Packet p = _layout;
        if (l.IsV6 != p.IsV6 || l.Protocol != p.Protocol || l.L4HeaderLength != p.L4HeaderLength) return false;
        ReadOnlySpan<byte> pending = _buffer.AsSpan(VirtioNetHeader.Length, _length);
        if (l.IsV6)
        {
            // version, traffic class, flow label (0..3); next header and hop limit (6..7); addresses (8..39)
            if (!packet[..4].SequenceEqual(pending[..4])) return false;
            if (!packet.Slice(6, 34).SequenceEqual(pending.Slice(6, 34))) return false;
        }
        else
        {
            if (packet[1] != pending[1]) return false;                       // TOS
            if ((packet[6] & 0x40) != (pending[6] & 0x40)) return false;     // DF
            if (packet[8] != pending[8]) return false;                       // TTL
            if (!packet.Slice(12, 8).SequenceEqual(pending.Slice(12, 8))) return false;
        }
        // ports (and for UDP nothing else: length and checksum differ per datagram)
        return packet.Slice(l.IpHeaderLength, 4).SequenceEqual(pending.Slice(l.IpHeaderLength, 4));
    }
}
