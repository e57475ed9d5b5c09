using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// macOS (Darwin, x86_64 and arm64) values and layouts: sys/errno.h, sys/fcntl.h,
/// sys/socket.h, netinet/in.h, netinet6/in6.h. BSD sockaddrs start with a length byte
/// (sin_len) before a one-byte family.
/// </summary>
internal static unsafe partial class Libc
{
    // errno (sys/errno.h)
    internal const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EBADF = 9,
        EAGAIN = 35, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
        ENODEV = 19, EINVAL = 22, ENOTSOCK = 38, EDESTADDRREQ = 39, EMSGSIZE = 40,
        EPROTONOSUPPORT = 43, EAFNOSUPPORT = 47, EADDRINUSE = 48, EADDRNOTAVAIL = 49,
        ENETUNREACH = 51, ENOBUFS = 55, ECONNREFUSED = 61, EHOSTUNREACH = 65;

    internal const int O_NONBLOCK = 0x4;
    internal const int O_CLOEXEC = 0x1000000;
    internal const int AF_INET6 = 30;
    internal const int SOL_SOCKET = 0xffff;
    internal const int SO_SNDBUF = 0x1001;
    internal const int SO_RCVBUF = 0x1002;
    internal const int IPV6_V6ONLY = 27;
    internal const int MSG_TRUNC = 0x10;
    internal const int MSG_DONTWAIT = 0x80;

    /// <summary>Darwin's socket(2) takes no type flags; fcntl sets them afterwards.</summary>
    internal const int SocketTypeFlags = 0;

    /// <summary>Makes a new socket non-blocking and close-on-exec with fcntl.</summary>
    internal static int CompleteSocketFlags(int fd) => SetNonBlockingCloseOnExec(fd);

    /// <summary>struct sockaddr_in: u8 len, u8 family, be16 port, be32 address, 8 zero bytes = 16.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        public byte Length;
        public byte Family;
        public ushort PortBigEndian;
        public uint Address;
        public ulong Zero;
    }

    /// <summary>struct sockaddr_in6: u8 len, u8 family, be16 port, flowinfo, 16-byte address, scope id = 28.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn6
    {
        public byte Length;
        public byte Family;
        public ushort PortBigEndian;
        public uint FlowInfo;
        public In6Address Address;
        public uint ScopeId;
    }

    internal static void InitSockAddrIn(SockAddrIn* sa)
    {
        *sa = default;
        sa->Length = (byte)sizeof(SockAddrIn);
        sa->Family = AF_INET;
    }

    internal static void InitSockAddrIn6(SockAddrIn6* sa)
    {
        *sa = default;
        sa->Length = (byte)sizeof(SockAddrIn6);
        sa->Family = AF_INET6;
    }

    internal static int SockAddrFamily(byte* sa) => sa[1];

    /// <summary>struct msghdr (sys/socket.h): 48 bytes on 64-bit; iovlen is int, controllen socklen_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public int IovLength;
        public void* Control;
        public uint ControlLength;
        public int Flags;
    }

    // fcntl and ioctl are variadic. Apple's arm64 ABI passes every variadic argument on the
    // stack in an 8-byte slot ("Writing ARM64 code for Apple platforms", developer.apple.com),
    // while P/Invoke passes declared arguments in x0..x7. Declaring six unused register
    // arguments pushes the real one to the first stack slot, where va_arg reads it. On x86_64
    // variadic integers use the ordinary registers, so the plain declaration is right there.
    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl_(int fd, nuint request, void* arg);

    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl_arm64_(int fd, nuint request, nint r2, nint r3, nint r4, nint r5, nint r6, nint r7, void* arg);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl_(int fd, int cmd, nint arg);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl_arm64_(int fd, int cmd, nint r2, nint r3, nint r4, nint r5, nint r6, nint r7, nint arg);

    private static readonly bool VariadicOnStack = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>
    /// A non-blocking, close-on-exec pipe: fds[0] reads, fds[1] writes. Darwin has no pipe2,
    /// so the flags follow with fcntl.
    /// </summary>
    internal static int CreatePipe(int* fds)
    {
        int r = Pipe(fds);
        if (r < 0) return r;
        r = SetNonBlockingCloseOnExec(fds[0]);
        if (r == 0) r = SetNonBlockingCloseOnExec(fds[1]);
        if (r < 0)
        {
            Close(fds[0]);
            Close(fds[1]);
        }
        return r;
    }

    internal static int Ioctl(int fd, nuint request, void* arg)
    {
        int r;
        do
        {
            r = VariadicOnStack ? ioctl_arm64_(fd, request, 0, 0, 0, 0, 0, 0, arg) : ioctl_(fd, request, arg);
        }
        while (r < 0 && Errno() == EINTR);
        return r < 0 ? -Errno() : r;
    }

    internal static int FcntlInt(int fd, int cmd, int arg)
    {
        int r;
        do
        {
            r = VariadicOnStack ? fcntl_arm64_(fd, cmd, 0, 0, 0, 0, 0, 0, arg) : fcntl_(fd, cmd, arg);
        }
        while (r < 0 && Errno() == EINTR);
        return r < 0 ? -Errno() : r;
    }
}
