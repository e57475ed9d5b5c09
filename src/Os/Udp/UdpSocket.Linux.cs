using Overlay.Os.Interop;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Udp;

/// <summary>Linux: recvmmsg(2)/sendmmsg(2) over the batch's preassembled mmsghdr array.</summary>
public sealed unsafe partial class UdpSocket
{
    public partial int ReceiveBatch(DatagramBatch batch)
    {
        batch.ThrowIfDisposed();
        Libc.MMsgHdr* messages = batch.Messages;
        Libc.IoVec* iov = batch.IoVectors;
        int capacity = batch.Capacity;
        nuint room = (nuint)batch.MaxPayload;
        batch.Count = 0;
        while (true)
        {
            for (int i = 0; i < capacity; i++)
            {
                messages[i].Header.NameLength = SockAddr.MaxSize;
                messages[i].Header.Flags = 0;
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
                kept++;
            }
            if (kept > 0 || n == 0)
            {
                batch.Count = kept;
                return kept;
            }
        }
    }

    public partial int SendBatch(DatagramBatch batch)
    {
        batch.ThrowIfDisposed();
        Libc.MMsgHdr* messages = batch.Messages;
        Libc.IoVec* iov = batch.IoVectors;
        int count = batch.Count;
        for (int i = 0; i < count; i++)
        {
            byte* name = batch.Name(i);
            int nameLength = SockAddr.Write(name, batch.Endpoint(i), _family);
            // No usable address: a null name makes the kernel refuse just this message
            // (EDESTADDRREQ), which the loop below counts and skips.
            messages[i].Header.Name = nameLength == 0 ? null : name;
            messages[i].Header.NameLength = (uint)nameLength;
            messages[i].Header.Flags = 0;
            iov[i].Length = (nuint)batch.CheckedLength(i);
        }

        int done = 0;
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
}
