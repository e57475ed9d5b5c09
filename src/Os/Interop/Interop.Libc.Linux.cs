using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// Linux (glibc/musl, x86_64 and arm64) values and layouts: asm-generic/errno*.h,
/// asm-generic/fcntl.h, bits/socket.h, linux/in6.h. The layouts are pinned by size tests.
/// </summary>
internal static unsafe partial class Libc
{
    // errno (asm-generic/errno-base.h, asm-generic/errno.h)
    internal const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EBADF = 9,
        EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
        ENODEV = 19, EINVAL = 22, ENOTSOCK = 88, EDESTADDRREQ = 89, EMSGSIZE = 90,
        EPROTONOSUPPORT = 93, EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99,
        ENETUNREACH = 101, ENOBUFS = 105, ECONNREFUSED = 111, EHOSTUNREACH = 113;

    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;
    internal const int AF_INET6 = 10;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int SOL_SOCKET = 1;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    /// <summary>Like SO_SNDBUF/SO_RCVBUF but past net.core.[rw]mem_max; needs CAP_NET_ADMIN (socket(7)).</summary>
    internal const int SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    internal const int IPV6_V6ONLY = 26;
    internal const int MSG_TRUNC = 0x20;
    internal const int MSG_DONTWAIT = 0x40;
    /// <summary>UDP generic segmentation offload (udp(7), Linux 4.18): cmsg SOL_UDP/UDP_SEGMENT carries a u16 segment size.</summary>
    internal const int SOL_UDP = 17, UDP_SEGMENT = 103;
    /// <summary>UDP GRO on receive (udp(7), Linux 5.0): int option; a cmsg SOL_UDP/UDP_GRO carries the int segment size.</summary>
    internal const int UDP_GRO = 104;
    /// <summary>cmsghdr on 64-bit: size_t len, int level, int type; data at 16. CMSG_SPACE(2) = 24, CMSG_LEN(2) = 18.</summary>
    internal const int CmsgHeaderSize = 16, CmsgSpaceU16 = 24;
    /// <summary>
    /// Packet info (ip(7), ipv6(7)): IP_PKTINFO (an int option on an AF_INET socket and the cmsg type both ways),
    /// IPV6_RECVPKTINFO (the option) and IPV6_PKTINFO (the cmsg type); a dual-stack socket reports and accepts
    /// IPv4 as v4-mapped IPV6_PKTINFO (ip6_datagram_recv_common_ctl, ip_cmsg_send).
    /// </summary>
    internal const int IP_PKTINFO = 8, IPV6_RECVPKTINFO = 49, IPV6_PKTINFO = 50;
    /// <summary>CMSG_SPACE(sizeof(struct in_pktinfo)) = 32, CMSG_SPACE(sizeof(struct in6_pktinfo)) = 40 on 64-bit.</summary>
    internal const int CmsgSpaceInPktInfo = 32, CmsgSpaceIn6PktInfo = 40;

    /// <summary>socket(2) can set O_NONBLOCK|O_CLOEXEC atomically through the type argument.</summary>
    internal const int SocketTypeFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;

    /// <summary>Nothing to do: <see cref="SocketTypeFlags"/> already made the socket non-blocking and close-on-exec.</summary>
    internal static int CompleteSocketFlags(int fd) => 0;

    /// <summary>struct sockaddr_in: u16 family, be16 port, be32 address, 8 zero bytes = 16.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint Address;
        public ulong Zero;
    }

    /// <summary>struct sockaddr_in6: u16 family, be16 port, flowinfo, 16-byte address, scope id = 28.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn6
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint FlowInfo;
        public In6Address Address;
        public uint ScopeId;
    }

    internal static void InitSockAddrIn(SockAddrIn* sa)
    {
        *sa = default;
        sa->Family = AF_INET;
    }

    internal static void InitSockAddrIn6(SockAddrIn6* sa)
    {
        *sa = default;
        sa->Family = AF_INET6;
    }

    internal static int SockAddrFamily(byte* sa) => *(ushort*)sa;

    /// <summary>struct msghdr (bits/socket.h): 56 bytes on 64-bit, iovlen/controllen are size_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr (recvmmsg(2)): a msghdr plus the byte count, 64 bytes on 64-bit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport(LibraryName, EntryPoint = "pipe2", SetLastError = true)]
    private static partial int pipe2_(int* fds, int flags);

    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl_(int fd, nuint request, void* arg);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl_(int fd, int cmd, nint arg);

    [LibraryImport(LibraryName, EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int recvmmsg_(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(LibraryName, EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int sendmmsg_(int fd, MMsgHdr* messages, uint count, int flags);

    /// <summary>A non-blocking, close-on-exec pipe (pipe2(2)): fds[0] reads, fds[1] writes.</summary>
    internal static int CreatePipe(int* fds) =>
        pipe2_(fds, O_NONBLOCK | O_CLOEXEC) < 0 ? -Errno() : 0;

    /// <summary>
    /// ioctl(2) with a pointer argument. The third argument is variadic in C; on the Linux
    /// ABIs (SysV x86_64, AAPCS64) variadic integers travel in the same registers as named ones.
    /// </summary>
    internal static int Ioctl(int fd, nuint request, void* arg)
    {
        int r;
        while ((r = ioctl_(fd, request, arg)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    /// <summary>fcntl(2) with an int argument (or none); see <see cref="Ioctl"/> on variadics.</summary>
    internal static int FcntlInt(int fd, int cmd, int arg)
    {
        int r;
        while ((r = fcntl_(fd, cmd, arg)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    /// <summary>recvmmsg(2) without a timeout; returns messages received or -errno.</summary>
    internal static int RecvMMsg(int fd, MMsgHdr* messages, int count, int flags)
    {
        int r;
        while ((r = recvmmsg_(fd, messages, (uint)count, flags, null)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    /// <summary>
    /// sendmmsg(2); returns messages sent or -errno. When message k &gt; 0 fails the call
    /// returns k and the error is reported by the next call, which starts at message k.
    /// </summary>
    internal static int SendMMsg(int fd, MMsgHdr* messages, int count, int flags)
    {
        int r;
        while ((r = sendmmsg_(fd, messages, (uint)count, flags)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }
}
