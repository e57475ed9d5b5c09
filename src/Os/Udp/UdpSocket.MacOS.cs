using Overlay.Protocol;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>
/// macOS: a loop of recvmsg(2) (not recvfrom, so MSG_TRUNC in msg_flags reveals datagrams
/// larger than a frame) and sendto(2). Darwin's recvmsg_x/sendmsg_x are private API.
/// </summary>
public sealed unsafe partial class UdpSocket
{
    /// <summary>macOS has no UDP receive offload: every datagram arrives on its own.</summary>
    private partial void EnableReceiveOffload() { }

    /// <summary>
    /// Not on macOS (yet): the kernel picks each datagram's source, <see cref="DatagramBatch.Local"/> stays none
    /// on receive and is ignored on send (docs/subnetra-wg.md, "Sticky source addresses").
    /// </summary>
    private partial void EnablePacketInfo() { }

    /// <summary>Never on macOS: see <see cref="EnablePacketInfo"/>.</summary>
    public bool PacketInfo => false;

    /// <summary>Never true on macOS: nothing is staged.</summary>
    public bool HasBuffered => false;

    public partial int ReceiveBatch(DatagramBatch batch)
    {
        batch.ThrowIfDisposed();
        Libc.MsgHdr* message = batch.Message;
        Libc.IoVec* iov = batch.IoVectors;
        int capacity = batch.Capacity;
        nuint room = (nuint)batch.MaxPayload;
        int kept = 0;
        batch.Count = 0;
        // Bounded: a flood of truncated or unknown-family datagrams must not pin the loop thread.
        // The fd stays readable, so the poll loop calls again for whatever is left.
        int budget = MaxReceiveRounds * capacity;
        while (kept < capacity && budget-- > 0)
        {
            message->Name = batch.Name(kept);
            message->NameLength = SockAddr.MaxSize;
            message->Iov = iov + kept;
            message->IovLength = 1;
            message->Control = null;
            message->ControlLength = 0;
            message->Flags = 0;
            iov[kept].Length = room;
            nint n = Libc.RecvMsg(_rawFd, message, Libc.MSG_DONTWAIT);
            if (n < 0)
            {
                int errno = (int)-n;
                if (errno == Libc.EAGAIN) break;
                if (IsFatal(errno)) throw Broken("recvmsg", errno);
                // A pending socket error (e.g. ICMP-reported) is consumed by this call; the
                // next poll turn picks up any data behind it, so we never loop on errors.
                _receiveErrors++;
                break;
            }
            if ((message->Flags & Libc.MSG_TRUNC) != 0
                || !SockAddr.TryRead((byte*)message->Name, (int)message->NameLength, out UdpEndpoint source))
            {
                _receiveTruncated++;
                continue;
            }
            batch.Length(kept) = (int)n;
            batch.Endpoint(kept) = source;
            batch.Local(kept) = default;
            kept++;
        }
        batch.Count = kept;
        return kept;
    }

    /// <summary>Datagrams one <see cref="ReceiveBatch"/> may examine, in units of the batch capacity.</summary>
    internal const int MaxReceiveRounds = 4;

    public partial int SendBatch(DatagramBatch batch)
    {
        batch.ThrowIfDisposed();
        int count = batch.Count;
        int done = 0;
        batch.ResetLocalRefusals();
        for (; done < count; done++)
        {
            byte* name = batch.Name(done);
            int nameLength = SockAddr.Write(name, batch.Endpoint(done), _family);
            if (nameLength == 0)
            {
                _sendErrors++;
                continue;
            }
            nint n = Libc.SendTo(_rawFd, batch.PayloadPointer(done), (nuint)batch.CheckedLength(done), 0, name, nameLength);
            if (n >= 0) continue;
            int errno = (int)-n;
            if (errno == Libc.EAGAIN)
            {
                _sendWouldBlock++;
                break;
            }
            if (IsFatal(errno)) throw Broken("sendto", errno);
            _sendErrors++;
        }
        return done;
    }

    private static partial void SetBufferSizes(int fd, int bytes)
    {
        Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes);
        Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, bytes);
    }

    // ss(8) is iproute2 (Linux only); macOS has lsof(8). -nP: no name or port lookups.
    internal static partial string PortOwnerCommand(int port) => $"lsof -nP -iUDP:{port}";
}
