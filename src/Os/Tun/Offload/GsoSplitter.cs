using System.Buffers.Binary;

namespace Overlay.Os.Tun.Offload;

/// <summary>Why a packet read with a virtio-net header could not be turned into plain packets.</summary>
internal enum OffloadStatus
{
    Ok = 0,
    /// <summary>Not TCP/UDP over IPv4/IPv6 where the header says it is, or headers do not fit.</summary>
    BadPacket,
    /// <summary>A gso_type we never enabled (UFO) or one that does not match the packet.</summary>
    UnsupportedGso,
    /// <summary>csum_start/csum_offset or gso_size inconsistent with the packet.</summary>
    BadHeader,
    /// <summary>The caller's output has too few or too small segment slots.</summary>
    OutputTooSmall,
}

/// <summary>
/// The plan for splitting one GSO super-packet, from <see cref="GsoSplitter.TryPlan"/>:
/// its layout, the segment payload size and how many segments it yields.
/// </summary>
internal readonly struct GsoPlan
{
    public L4Packet Layout { get; init; }
    /// <summary>False for a plain packet (GSO_NONE): one "segment", the packet itself.</summary>
    public bool Segmented { get; init; }
    /// <summary>For a plain packet: complete the L4 checksum (NEEDS_CSUM) at these offsets.</summary>
    public bool CompleteChecksum { get; init; }
    public int CsumStart { get; init; }
    public int CsumOffset { get; init; }
    public int GsoSize { get; init; }
    public int SegmentCount { get; init; }
    public int PacketLength { get; init; }

    /// <summary>Bytes of the largest segment, for sizing output slots.</summary>
    public int MaxSegmentLength => Segmented ? Layout.HeaderLength + GsoSize : PacketLength;
}

/// <summary>
/// Turns what a tun opened with IFF_VNET_HDR hands us (a virtio-net header and a packet that
/// may be a TSO/USO super-packet of up to 64 KiB) into the plain MTU-sized packets a peer
/// expects, as the kernel's skb_segment would: per segment the IPv4 total length, an id
/// incremented from the first and a fresh header checksum, or the IPv6 payload length; the TCP
/// sequence number advanced by the payload before it, FIN and PSH kept only on the last segment
/// and CWR only on the first, or the UDP length; and the L4 checksum computed over the
/// pseudo-header and the segment. A plain packet marked NEEDS_CSUM gets its checksum completed.
/// Pure functions over caller-owned spans; nothing allocates.
/// </summary>
internal static class GsoSplitter
{
    private const byte TcpFin = 0x01, TcpPsh = 0x08, TcpCwr = 0x80;

    /// <summary>Checks <paramref name="packet"/> against <paramref name="header"/> and plans the split.</summary>
    public static OffloadStatus TryPlan(ReadOnlySpan<byte> packet, in VirtioNetHeader header, out GsoPlan plan)
    {
        plan = default;
        byte kind = header.GsoKind;
        if (kind == VirtioNetHeader.GsoNone)
        {
            if (header.NeedsCsum && ((uint)header.CsumStart + header.CsumOffset + 2 > (uint)packet.Length))
                return OffloadStatus.BadHeader;
            plan = new GsoPlan
            {
                Segmented = false,
                CompleteChecksum = header.NeedsCsum,
                CsumStart = header.CsumStart,
                CsumOffset = header.CsumOffset,
                SegmentCount = 1,
                PacketLength = packet.Length,
            };
            return OffloadStatus.Ok;
        }
        if (kind != VirtioNetHeader.GsoTcpV4 && kind != VirtioNetHeader.GsoTcpV6 && kind != VirtioNetHeader.GsoUdpL4)
            return OffloadStatus.UnsupportedGso;
        if (!L4Packet.TryParse(packet, allowIpv4Options: true, out var layout)) return OffloadStatus.BadPacket;
        bool wantTcp = kind != VirtioNetHeader.GsoUdpL4;
        if (wantTcp != (layout.Protocol == L4Packet.ProtocolTcp)) return OffloadStatus.UnsupportedGso;
        if (kind == VirtioNetHeader.GsoTcpV4 && layout.IsV6 || kind == VirtioNetHeader.GsoTcpV6 && !layout.IsV6)
            return OffloadStatus.UnsupportedGso;
        if (header.GsoSize == 0 || header.CsumStart != layout.IpHeaderLength) return OffloadStatus.BadHeader;
        int payload = packet.Length - layout.HeaderLength;
        int count = payload <= 0 ? 1 : (payload + header.GsoSize - 1) / header.GsoSize;
        plan = new GsoPlan
        {
            Layout = layout,
            Segmented = true,
            GsoSize = header.GsoSize,
            SegmentCount = count,
            PacketLength = packet.Length,
        };
        return OffloadStatus.Ok;
    }

    /// <summary>
    /// Writes segment <paramref name="index"/> of the planned packet to the start of
    /// <paramref name="destination"/> and returns its length, or -1 when it does not fit.
    /// <paramref name="destination"/> must not overlap <paramref name="packet"/>.
    /// </summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, in GsoPlan plan, int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)plan.SegmentCount) throw new ArgumentOutOfRangeException(nameof(index));
        if (!plan.Segmented)
        {
            if (destination.Length < packet.Length) return -1;
            packet.CopyTo(destination);
            if (plan.CompleteChecksum) CompleteChecksum(destination[..packet.Length], plan.CsumStart, plan.CsumOffset);
            return packet.Length;
        }

        L4Packet l = plan.Layout;
        int hdr = l.HeaderLength;
        int offset = hdr + index * plan.GsoSize;
        int chunk = Math.Max(0, Math.Min(plan.GsoSize, packet.Length - offset));
        int length = hdr + chunk;
        if (destination.Length < length) return -1;
        Span<byte> seg = destination[..length];
        packet[..hdr].CopyTo(seg);
        if (chunk > 0) packet.Slice(offset, chunk).CopyTo(seg[hdr..]);

        if (!l.IsV6)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            BinaryPrimitives.WriteUInt16BigEndian(seg[4..], (ushort)(id + index));
        }
        l.WriteIpLength(seg, length);

        int l4 = l.IpHeaderLength;
        if (l.Protocol == L4Packet.ProtocolTcp)
        {
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(packet[(l4 + 4)..]);
            BinaryPrimitives.WriteUInt32BigEndian(seg[(l4 + 4)..], seq + (uint)(index * plan.GsoSize));
            byte flags = packet[l4 + 13];
            if (index != plan.SegmentCount - 1) flags &= unchecked((byte)~(TcpFin | TcpPsh));
            if (index != 0) flags &= unchecked((byte)~TcpCwr);
            seg[l4 + 13] = flags;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(seg[(l4 + 4)..], (ushort)(length - l4));
        }
        int csumAt = l.ChecksumOffset;
        seg[csumAt] = 0;
        seg[csumAt + 1] = 0;
        uint sum = InternetChecksum.Sum(seg[l4..], l.PseudoHeaderSum(seg, length - l4));
        ushort csum = InternetChecksum.Finish(sum);
        if (csum == 0 && l.Protocol == L4Packet.ProtocolUdp) csum = 0xFFFF;   // RFC 768: 0 means "none"
        BinaryPrimitives.WriteUInt16BigEndian(seg[csumAt..], csum);
        return length;
    }

    /// <summary>
    /// Splits <paramref name="packet"/> into <paramref name="output"/>, segment i at
    /// <c>output[i * stride..]</c>, its length in <paramref name="lengths"/>[i].
    /// </summary>
    public static OffloadStatus Split(ReadOnlySpan<byte> packet, in VirtioNetHeader header, Span<byte> output, int stride,
        Span<int> lengths, out int count)
    {
        count = 0;
        OffloadStatus status = TryPlan(packet, header, out var plan);
        if (status != OffloadStatus.Ok) return status;
        if (plan.SegmentCount > lengths.Length || stride < plan.MaxSegmentLength
            || (long)plan.SegmentCount * stride > output.Length)
            return OffloadStatus.OutputTooSmall;
        for (int i = 0; i < plan.SegmentCount; i++)
        {
            int n = WriteSegment(packet, plan, i, output.Slice(i * stride, stride));
            if (n < 0) return OffloadStatus.OutputTooSmall;
            lengths[i] = n;
        }
        count = plan.SegmentCount;
        return OffloadStatus.Ok;
    }

    /// <summary>
    /// NEEDS_CSUM on a plain packet: the field at <paramref name="csumStart"/> +
    /// <paramref name="csumOffset"/> holds the pseudo-header sum; fold in everything from
    /// <paramref name="csumStart"/> to the end and store the complement (skb_checksum_help).
    /// </summary>
    public static void CompleteChecksum(Span<byte> packet, int csumStart, int csumOffset)
    {
        int at = csumStart + csumOffset;
        ushort csum = InternetChecksum.Finish(InternetChecksum.Sum(packet[csumStart..]));
        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], csum == 0 ? (ushort)0xFFFF : csum);
    }
}
