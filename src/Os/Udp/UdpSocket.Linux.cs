using Overlay.Protocol;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>Linux: recvmmsg(2)/sendmmsg(2) over the batch's preassembled mmsghdr array; sends coalesce runs with UDP GSO.</summary>
public sealed unsafe partial class UdpSocket
{
    public partial int ReceiveBatch(DatagramBatch batch)
    {
        batch.ThrowIfDisposed();
        if (_groSlab is not null) return ReceiveCoalesced(batch);
        Libc.MMsgHdr* messages = batch.Messages;
        Libc.IoVec* iov = batch.IoVectors;
        int capacity = batch.Capacity;
        nuint room = (nuint)batch.MaxPayload;
        batch.Count = 0;
        // Bounded: a flood of truncated or unknown-family datagrams must not pin the loop thread.
        // The fd stays readable, so the poll loop calls again for whatever is left.
        for (int round = 0; round < MaxReceiveRounds; round++)
        {
            for (int i = 0; i < capacity; i++)
            {
                // A send may have pointed this header at another entry's name slot (a coalesced
                // run) or at none (no usable address); each entry receives into its own slot.
                messages[i].Header.Name = batch.Name(i);
                messages[i].Header.NameLength = SockAddr.MaxSize;
                messages[i].Header.Flags = 0;
                // A send may have pointed this header at a run of iovecs and a cmsg (UDP GSO).
                messages[i].Header.Iov = iov + i;
                messages[i].Header.IovLength = 1;
                messages[i].Header.Control = _packetInfo ? batch.Control(i) : null;
                messages[i].Header.ControlLength = _packetInfo ? (nuint)DatagramBatch.ControlStride : 0;
                messages[i].Length = 0;
                iov[i].Length = room;
            }
            int n = Libc.RecvMMsg(_rawFd, messages, capacity, Libc.MSG_DONTWAIT);
            if (n < 0)
            {
                if (n == -Libc.EAGAIN) return 0;
                if (IsFatal(-n)) throw Broken("recvmmsg", -n);
                _receiveErrors++;
                return 0;
            }
            int kept = 0;
            for (int j = 0; j < n; j++)
            {
                ref Libc.MsgHdr header = ref messages[j].Header;
                if ((header.Flags & Libc.MSG_TRUNC) != 0
                    || !SockAddr.TryRead((byte*)header.Name, (int)header.NameLength, out UdpEndpoint source))
                {
                    _receiveTruncated++;
                    continue;
                }
                int length = (int)messages[j].Length;
                if (kept != j)
                {
                    // Close the gap a dropped datagram left, so entries stay dense (rare path).
                    Buffer.MemoryCopy(batch.PayloadPointer(j), batch.PayloadPointer(kept), length, length);
                }
                batch.Length(kept) = length;
                batch.Endpoint(kept) = source;
                LocalAddress local = default;
                if (_packetInfo) ReadControl((byte*)header.Control, (int)header.ControlLength, out _, out local);
                batch.Local(kept) = local;
                kept++;
            }
            if (kept > 0 || n == 0)
            {
                batch.Count = kept;
                return kept;
            }
        }
        return 0;
    }

    /// <summary>recvmmsg calls one <see cref="ReceiveBatch"/> may make while every datagram it reads is dropped.</summary>
    internal const int MaxReceiveRounds = 4;

    /// <summary>UDP_MAX_SEGMENTS before Linux 6.9 (include/linux/udp.h); later kernels allow 128.</summary>
    internal const int MaxSegmentsPerSend = 64;

    /// <summary>The largest UDP payload of one datagram over IPv4 (65535 - 20 - 8), so a coalesced send fits both families.</summary>
    internal const int MaxSegmentedBytes = 65507;

    private bool _segmentationOffload = true;
    private long _segmentedSends;

    /// <summary>
    /// Whether <see cref="SendBatch"/> coalesces runs of datagrams to one destination into one UDP_SEGMENT send
    /// (UDP GSO, udp(7)). On by default; switched off for good when the kernel refuses a coalesced message:
    /// EIO when the route's device cannot checksum-offload (as wireguard-go's conn/bind_std.go handles it),
    /// EINVAL (older kernels) or EMSGSIZE (newer) when the segment size plus headers exceeds the path MTU
    /// (udp_send_skb, net/ipv4/udp.c). The refused run is then resent one datagram per message.
    /// </summary>
    public bool SegmentationOffload
    {
        get => _segmentationOffload;
        set => _segmentationOffload = value;
    }

    /// <summary>Messages sent with UDP_SEGMENT (each carried two or more datagrams).</summary>
    public long SegmentedSends => Volatile.Read(ref _segmentedSends);

    /// <summary>
    /// Test seam: when non-zero, the next coalesced message is not handed to sendmmsg but refused with this
    /// errno (once), as a kernel would on a path whose MTU is below the segment size.
    /// </summary>
    internal int SegmentedSendFaultForTest;

    public partial int SendBatch(DatagramBatch batch)
    {
        batch.ThrowIfDisposed();
        int count = batch.Count;
        int done = 0;
        batch.ResetLocalRefusals();
        if (_segmentationOffload && count > 1)
        {
            done = SendSegmented(batch, count, out bool fallBack);
            if (!fallBack) return done;
        }
        return SendEach(batch, done, count);
    }

    /// <summary>
    /// UDP GSO: consecutive entries to the same endpoint from the same source whose lengths equal the first
    /// one's (only the last of a run may be shorter) go out as one message whose iovecs are the entries' own
    /// payloads, plus a UDP_SEGMENT cmsg with that length (and the run's source, which all its datagrams share);
    /// the kernel cuts it into the original datagrams after one trip through the socket layer and routing.
    /// Runs never reorder entries.
    /// </summary>
    private int SendSegmented(DatagramBatch batch, int count, out bool fallBack)
    {
        fallBack = false;
        Libc.MMsgHdr* messages = batch.Messages;
        Libc.IoVec* iov = batch.IoVectors;
        int[] first = batch.MessageFirstEntry;
        int m = 0;
        for (int i = 0; i < count;)
        {
            int size = batch.CheckedLength(i);
            UdpEndpoint destination = batch.Endpoint(i);
            LocalAddress source = batch.Local(i);
            iov[i].Length = (nuint)size;
            int j = i + 1;
            int total = size;
            while (size > 0 && j < count && j - i < MaxSegmentsPerSend)
            {
                int next = batch.CheckedLength(j);
                if (next == 0 || next > size || total + next > MaxSegmentedBytes
                    || batch.Endpoint(j) != destination || batch.Local(j) != source) break;
                iov[j].Length = (nuint)next;
                total += next;
                j++;
                if (next < size) break;
            }
            byte* name = batch.Name(i);
            int nameLength = SockAddr.Write(name, destination, _family);
            ref Libc.MsgHdr header = ref messages[m].Header;
            header.Name = nameLength == 0 ? null : name;
            header.NameLength = (uint)nameLength;
            header.Flags = 0;
            header.Iov = iov + i;
            header.IovLength = (nuint)(j - i);
            byte* control = batch.Control(m);
            int controlLength = 0;
            if (j - i > 1)
            {
                *(nuint*)control = Libc.CmsgHeaderSize + sizeof(ushort);
                *(int*)(control + 8) = Libc.SOL_UDP;
                *(int*)(control + 12) = Libc.UDP_SEGMENT;
                *(ushort*)(control + Libc.CmsgHeaderSize) = (ushort)size;
                controlLength = Libc.CmsgSpaceU16;
            }
            // The source goes last, so a refused one is dropped by shortening the control length.
            controlLength += WriteSource(control + controlLength, source);
            header.Control = controlLength == 0 ? null : control;
            header.ControlLength = (nuint)controlLength;
            first[m++] = i;
            i = j;
        }
        first[m] = count;

        int sent = 0;
        while (sent < m)
        {
            int batchOf = m - sent, r = 0;
            if (SegmentedSendFaultForTest != 0)
            {
                // Like the kernel: messages before the refused one go out, the call reports how many.
                int k = sent;
                while (k < m && messages[k].Header.IovLength <= 1) k++;
                if (k == sent)
                {
                    r = -SegmentedSendFaultForTest;
                    SegmentedSendFaultForTest = 0;
                }
                batchOf = k - sent;
            }
            if (r == 0) r = Libc.SendMMsg(_rawFd, messages + sent, batchOf, 0);
            if (r > 0)
            {
                for (int k = sent; k < sent + r; k++)
                    if (messages[k].Header.IovLength > 1) _segmentedSends++;
                sent += r;
                continue;
            }
            int errno = r < 0 ? -r : Libc.EAGAIN;
            if (errno == Libc.EAGAIN)
            {
                _sendWouldBlock++;
                break;
            }
            if (IsFatal(errno)) throw Broken("sendmmsg", errno);
            if (DropRefusedSource(ref messages[sent].Header, errno, batch, first[sent], first[sent + 1])) continue;
            if (messages[sent].Header.IovLength > 1
                && (errno == Libc.EIO || errno == Libc.EINVAL || errno == Libc.EMSGSIZE))
            {
                // The kernel refused the coalescing, not the datagrams: SendBatch resends this run and
                // everything after it one datagram per message, so only real per-datagram refusals count.
                _segmentationOffload = false;
                fallBack = true;
                break;
            }
            _sendErrors += first[sent + 1] - first[sent];
            sent++;
        }
        return first[sent];
    }

    /// <summary>One message per entry, entries [start, count).</summary>
    private int SendEach(DatagramBatch batch, int start, int count)
    {
        Libc.MMsgHdr* messages = batch.Messages;
        Libc.IoVec* iov = batch.IoVectors;
        for (int i = start; i < count; i++)
        {
            byte* name = batch.Name(i);
            int nameLength = SockAddr.Write(name, batch.Endpoint(i), _family);
            // No usable address: a null name makes the kernel refuse just this message
            // (EDESTADDRREQ), which the loop below counts and skips.
            ref Libc.MsgHdr header = ref messages[i].Header;
            header.Name = nameLength == 0 ? null : name;
            header.NameLength = (uint)nameLength;
            header.Flags = 0;
            header.Iov = iov + i;
            header.IovLength = 1;
            byte* control = batch.Control(i);
            // An entry whose source was refused in the coalesced attempt goes without it (the GSO fallback).
            int controlLength = batch.LocalRefused(i) ? 0 : WriteSource(control, batch.Local(i));
            header.Control = controlLength == 0 ? null : control;
            header.ControlLength = (nuint)controlLength;
            iov[i].Length = (nuint)batch.CheckedLength(i);
        }

        int done = start;
        while (done < count)
        {
            int r = Libc.SendMMsg(_rawFd, messages + done, count - done, 0);
            if (r > 0)
            {
                done += r;
                continue;
            }
            int errno = r < 0 ? -r : Libc.EAGAIN;
            if (errno == Libc.EAGAIN)
            {
                _sendWouldBlock++;
                break;
            }
            if (IsFatal(errno)) throw Broken("sendmmsg", errno);
            if (DropRefusedSource(ref messages[done].Header, errno, batch, done, done + 1)) continue;
            _sendErrors++;
            done++;
        }
        return done;
    }

    private static partial void SetBufferSizes(int fd, int bytes)
    {
        // The *FORCE variants pass net.core.[rw]mem_max when we have CAP_NET_ADMIN.
        if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bytes) < 0)
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes);
        if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, bytes) < 0)
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, bytes);
    }

    // ss(8) is iproute2 (Linux only); macOS has lsof(8). -nP: no name or port lookups.
    internal static partial string PortOwnerCommand(int port) => $"ss -ulpn 'sport = :{port}'";
}
