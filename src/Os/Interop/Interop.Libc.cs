using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// libc system calls shared by Linux and macOS (POSIX.1-2017 signatures; see read(2),
/// write(2), poll(2), socket(2), recvmsg(2) ...). Every wrapper follows one convention,
/// the kernel's own: it returns the result (&gt;= 0) or the negated errno, so EAGAIN is a
/// value the caller compares against (<c>-Libc.EAGAIN</c>), never an exception, and
/// nothing allocates. EINTR is retried inside the wrapper, except for poll, whose caller
/// recomputes its timeout (see <see cref="Poll"/>). close is never retried: on Linux the
/// descriptor is released even when close reports EINTR (close(2), "Dealing with error
/// returns from close()").
///
/// Values and layouts that differ per OS (errno numbers, O_NONBLOCK, sockaddr) live in
/// Interop.Libc.Linux.cs / Interop.Libc.MacOS.cs; the calls that exist on one OS only
/// (recvmmsg, pipe2) live there too. Variadic calls (fcntl, ioctl) are wrapped per OS
/// because Apple arm64 passes variadic arguments on the stack.
/// </summary>
internal static unsafe partial class Libc
{
    internal const string LibraryName = "libc";

    // Same values on Linux and macOS.
    internal const int O_RDWR = 0x2;
    internal const int AF_UNIX = 1;
    internal const int AF_INET = 2;
    internal const int SOCK_DGRAM = 2;
    internal const int IPPROTO_IP = 0;
    internal const int IPPROTO_UDP = 17;
    internal const int IPPROTO_IPV6 = 41;
    internal const int F_GETFD = 1;
    internal const int F_SETFD = 2;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int FD_CLOEXEC = 1;
    internal const short POLLIN = 0x1;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;
    internal const short POLLNVAL = 0x20;
    // File types, the S_IFMT bits of st_mode (sys/stat.h; the same on Linux and macOS).
    internal const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000,
        S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFSOCK = 0xC000;

    /// <summary>struct pollfd (poll.h): 8 bytes on both OSes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    /// <summary>
    /// struct in_pktinfo (ip(7); netinet/in.h on macOS, the same layout): the interface, the local address a
    /// datagram was sent to (received) or leaves from (spec_dst, sent), and the header's destination. 12 bytes.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InPktInfo
    {
        public int InterfaceIndex;
        public uint SpecificDestination;
        public uint Address;
    }

    /// <summary>struct in6_pktinfo (RFC 3542 §6.1): the local address and the interface. 20 bytes on both OSes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct In6PktInfo
    {
        public In6Address Address;
        public int InterfaceIndex;
    }

    /// <summary>struct iovec (sys/uio.h): 16 bytes on 64-bit.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open_(string path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    private static partial int close_(int fd);

    [LibraryImport(LibraryName, EntryPoint = "read", SetLastError = true)]
    private static partial nint read_(int fd, byte* buffer, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "write", SetLastError = true)]
    private static partial nint write_(int fd, byte* buffer, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "poll", SetLastError = true)]
    private static partial int poll_(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(LibraryName, EntryPoint = "pipe", SetLastError = true)]
    private static partial int pipe_(int* fds);

    [LibraryImport(LibraryName, EntryPoint = "socket", SetLastError = true)]
    private static partial int socket_(int domain, int type, int protocol);

    [LibraryImport(LibraryName, EntryPoint = "socketpair", SetLastError = true)]
    private static partial int socketpair_(int domain, int type, int protocol, int* fds);

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    private static partial int bind_(int fd, byte* address, uint addressLength);

    [LibraryImport(LibraryName, EntryPoint = "connect", SetLastError = true)]
    private static partial int connect_(int fd, byte* address, uint addressLength);

    [LibraryImport(LibraryName, EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int setsockopt_(int fd, int level, int name, void* value, uint length);

    [LibraryImport(LibraryName, EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int getsockopt_(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(LibraryName, EntryPoint = "getsockname", SetLastError = true)]
    private static partial int getsockname_(int fd, byte* address, uint* addressLength);

    [LibraryImport(LibraryName, EntryPoint = "recvfrom", SetLastError = true)]
    private static partial nint recvfrom_(int fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [LibraryImport(LibraryName, EntryPoint = "sendto", SetLastError = true)]
    private static partial nint sendto_(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [LibraryImport(LibraryName, EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint recvmsg_(int fd, void* message, int flags);

    [LibraryImport(LibraryName, EntryPoint = "getuid")]
    private static partial uint getuid_();

    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    private static partial uint geteuid_();

    private static int Errno() => Marshal.GetLastPInvokeError();

    /// <summary>open(2) without O_CREAT (so the variadic mode argument is never read).</summary>
    internal static int Open(string path, int flags)
    {
        int r;
        while ((r = open_(path, flags)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    internal static int Close(int fd) => close_(fd) < 0 ? -Errno() : 0;

    internal static nint Read(int fd, byte* buffer, nuint count)
    {
        nint r;
        while ((r = read_(fd, buffer, count)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    internal static nint Write(int fd, byte* buffer, nuint count)
    {
        nint r;
        while ((r = write_(fd, buffer, count)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    /// <summary>
    /// poll(2). Not retried on EINTR: a retry would restart the full timeout and delay the
    /// next timer, so the loop treats -EINTR as "nothing ready" and recomputes it.
    /// </summary>
    internal static int Poll(PollFd* fds, int count, int timeoutMs)
    {
        int r = poll_(fds, (nuint)count, timeoutMs);
        return r < 0 ? -Errno() : r;
    }

    /// <summary>pipe(2); flags are applied by the per-OS <c>CreatePipe</c>.</summary>
    private static int Pipe(int* fds) => pipe_(fds) < 0 ? -Errno() : 0;

    internal static int Socket(int domain, int type, int protocol)
    {
        int r;
        while ((r = socket_(domain, type, protocol)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    internal static int SocketPair(int domain, int type, int protocol, int* fds) =>
        socketpair_(domain, type, protocol, fds) < 0 ? -Errno() : 0;

    internal static int Bind(int fd, byte* address, int addressLength) =>
        bind_(fd, address, (uint)addressLength) < 0 ? -Errno() : 0;

    internal static int Connect(int fd, byte* address, int addressLength)
    {
        int r;
        while ((r = connect_(fd, address, (uint)addressLength)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : 0;
    }

    internal static int SetSockOpt(int fd, int level, int name, int value) =>
        setsockopt_(fd, level, name, &value, sizeof(int)) < 0 ? -Errno() : 0;

    internal static int GetSockOptInt(int fd, int level, int name, out int value)
    {
        int v = 0;
        uint len = sizeof(int);
        int r = getsockopt_(fd, level, name, &v, &len) < 0 ? -Errno() : 0;
        value = v;
        return r;
    }

    internal static int GetSockOpt(int fd, int level, int name, void* value, ref int length)
    {
        uint len = (uint)length;
        int r = getsockopt_(fd, level, name, value, &len) < 0 ? -Errno() : 0;
        length = (int)len;
        return r;
    }

    internal static int GetSockName(int fd, byte* address, ref int addressLength)
    {
        uint len = (uint)addressLength;
        int r = getsockname_(fd, address, &len) < 0 ? -Errno() : 0;
        addressLength = (int)len;
        return r;
    }

    internal static nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength)
    {
        nint r;
        while ((r = recvfrom_(fd, buffer, length, flags, address, addressLength)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    internal static nint SendTo(int fd, byte* buffer, nuint length, int flags, byte* address, int addressLength)
    {
        nint r;
        while ((r = sendto_(fd, buffer, length, flags, address, (uint)addressLength)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    internal static nint RecvMsg(int fd, void* message, int flags)
    {
        nint r;
        while ((r = recvmsg_(fd, message, flags)) < 0 && Errno() == EINTR) { }
        return r < 0 ? -Errno() : r;
    }

    internal static uint GetUid() => getuid_();

    /// <summary>The effective uid: what the kernel checks for privileged operations.</summary>
    internal static uint GetEUid() => geteuid_();

    /// <summary>Sets O_NONBLOCK and FD_CLOEXEC on an fd created without them.</summary>
    internal static int SetNonBlockingCloseOnExec(int fd)
    {
        int r = FcntlInt(fd, F_SETFD, FD_CLOEXEC);
        if (r < 0) return r;
        int flags = FcntlInt(fd, F_GETFL, 0);
        if (flags < 0) return flags;
        return FcntlInt(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

/// <summary>char[IFNAMSIZ] (net/if.h, 16 on Linux and macOS): a NUL-terminated interface name.</summary>
[InlineArray(16)]
internal struct IfName
{
    private byte _element0;
}
