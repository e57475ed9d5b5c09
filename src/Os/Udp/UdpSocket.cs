using System.Net;
using System.Net.Sockets;
using Overlay.Protocol;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>
/// The underlay UDP socket (DESIGN §6): one non-blocking, close-on-exec socket polled by the
/// loop. Unless an address is given it is a dual-stack AF_INET6 socket with IPV6_V6ONLY=0
/// (RFC 3493 §5.3), so IPv4 peers arrive v4-mapped and are reported as IPv4 endpoints; if the
/// host has no IPv6 it falls back to AF_INET. Batched I/O goes through a preallocated
/// <see cref="DatagramBatch"/>: recvmmsg/sendmmsg on Linux, a recvmsg/sendto loop on macOS.
/// Per-datagram failures (ECONNREFUSED, EHOSTUNREACH, ENOBUFS ...) are counted, never thrown;
/// only a broken descriptor throws.
/// </summary>
public sealed unsafe partial class UdpSocket : IDisposable, IUdpPort
{
    /// <summary>Requested SO_RCVBUF/SO_SNDBUF (best effort; wireguard-go asks for 7 MiB, conn/bind_std.go).</summary>
    public const int SocketBufferBytes = 4 << 20;

    private readonly SafeFd _fd;
    private readonly int _rawFd;
    private readonly int _family;
    private long _sendErrors;
    private long _sendWouldBlock;
    private long _receiveErrors;
    private long _receiveTruncated;

    private UdpSocket(SafeFd fd, int family, int localPort, bool wildcard)
    {
        _fd = fd;
        _rawFd = fd.Fd;
        _family = family;
        LocalPort = localPort;
        EnableReceiveOffload();
        if (wildcard) EnablePacketInfo();
    }

    /// <summary>Linux turns on UDP_GRO here (UdpSocket.Gro.Linux.cs); macOS has no receive offload.</summary>
    private partial void EnableReceiveOffload();

    /// <summary>
    /// Sticky source addresses on a socket bound to every address (one bound to an address has one source):
    /// Linux asks for each datagram's destination (UdpSocket.PacketInfo.Linux.cs); macOS does without.
    /// </summary>
    private partial void EnablePacketInfo();

    /// <summary>The raw fd for poll(2); valid until <see cref="Dispose"/>.</summary>
    public int Handle => _rawFd;

    public int LocalPort { get; }

    /// <summary>InterNetworkV6 for the dual-stack socket, InterNetwork for an IPv4-only one.</summary>
    public AddressFamily AddressFamily => _family == Libc.AF_INET6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <summary>Datagrams the kernel refused or that had no usable destination.</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>Times a send stopped because the socket buffer was full (EAGAIN).</summary>
    public long SendWouldBlock => Volatile.Read(ref _sendWouldBlock);

    /// <summary>Receive calls that failed with a non-fatal error (e.g. a pending ICMP error).</summary>
    public long ReceiveErrors => Volatile.Read(ref _receiveErrors);

    /// <summary>Datagrams dropped because they did not fit a frame (MSG_TRUNC) or had an unknown source family.</summary>
    public long ReceiveTruncated => Volatile.Read(ref _receiveTruncated);

    /// <summary>
    /// Binds <paramref name="port"/> (0 = ephemeral). <paramref name="bindAddress"/> null binds
    /// every address, dual-stack where IPv6 exists; an IPv4 address gives an IPv4-only socket,
    /// an IPv6 one a dual-stack socket on that address.
    /// </summary>
    public static UdpSocket Bind(int port, IPAddress? bindAddress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        int family = bindAddress is null || bindAddress.AddressFamily == AddressFamily.InterNetworkV6
            ? Libc.AF_INET6 : Libc.AF_INET;
        int fd = Libc.Socket(family, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, Libc.IPPROTO_UDP);
        if (fd < 0 && bindAddress is null && (-fd == Libc.EAFNOSUPPORT || -fd == Libc.EPROTONOSUPPORT))
        {
            family = Libc.AF_INET;
            fd = Libc.Socket(family, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, Libc.IPPROTO_UDP);
        }
        if (fd < 0)
        {
            throw new SystemCallException(family == Libc.AF_INET6 ? "socket(AF_INET6, SOCK_DGRAM)" : "socket(AF_INET, SOCK_DGRAM)",
                new Errno(-fd), -fd == Libc.EAFNOSUPPORT ? "This host has no support for that address family." : null);
        }
        var handle = new SafeFd(fd);
        try
        {
            int r = Libc.CompleteSocketFlags(fd);
            if (r < 0) throw new SystemCallException("fcntl(O_NONBLOCK|FD_CLOEXEC)", new Errno(-r));
            if (family == Libc.AF_INET6)
            {
                r = Libc.SetSockOpt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0);
                if (r < 0) throw new SystemCallException("setsockopt(IPV6_V6ONLY, 0)", new Errno(-r));
            }
            SetBufferSizes(fd, SocketBufferBytes);

            byte* address = stackalloc byte[SockAddr.MaxSize];
            int length = SockAddr.WriteBind(address, bindAddress, port, family);
            r = Libc.Bind(fd, address, length);
            if (r < 0)
            {
                int e = -r;
                string where = bindAddress is null ? $"port {port}" : $"{bindAddress} port {port}";
                throw new SystemCallException($"bind(UDP {where})", new Errno(e), e switch
                {
                    Libc.EADDRINUSE => $"UDP port {port} is in use by another process (see: {PortOwnerCommand(port)}).",
                    Libc.EACCES => "Ports below 1024 need root (or CAP_NET_BIND_SERVICE); choose a higher port.",
                    Libc.EADDRNOTAVAIL => $"{bindAddress} is not an address of this host.",
                    _ => null,
                });
            }

            length = SockAddr.MaxSize;
            r = Libc.GetSockName(fd, address, ref length);
            if (r < 0 || !SockAddr.TryRead(address, length, out UdpEndpoint local))
                throw new SystemCallException("getsockname(UDP)", new Errno(r < 0 ? -r : Libc.EINVAL));
            return new UdpSocket(handle, family, local.Port, bindAddress is null);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The kernel's SO_RCVBUF after <see cref="Bind"/> (Linux reports double the request, socket(7)).</summary>
    public int ReceiveBufferSize => GetIntOption(Libc.SOL_SOCKET, Libc.SO_RCVBUF);

    /// <summary>The kernel's SO_SNDBUF after <see cref="Bind"/>.</summary>
    public int SendBufferSize => GetIntOption(Libc.SOL_SOCKET, Libc.SO_SNDBUF);

    /// <summary>
    /// Receives up to <c>batch.Capacity</c> datagrams into the payload positions, setting
    /// Count, Length(i) and Endpoint(i). Returns Count; 0 when nothing is waiting (EAGAIN).
    /// </summary>
    public partial int ReceiveBatch(DatagramBatch batch);

    /// <summary>
    /// Sends entries [0, batch.Count) to their endpoints. Returns how many entries from the
    /// start were consumed: sent, or refused and counted in <see cref="SendErrors"/>. If the
    /// result is below Count the socket buffer filled (EAGAIN) and entries from the result on
    /// were not sent; retry them when the caller sees fit.
    /// </summary>
    public partial int SendBatch(DatagramBatch batch);

    /// <summary>Sends one datagram; false when it was not sent (counted).</summary>
    public bool SendTo(ReadOnlySpan<byte> datagram, in UdpEndpoint destination)
    {
        byte* address = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.Write(address, destination, _family);
        if (length == 0)
        {
            _sendErrors++;
            return false;
        }
        nint n;
        fixed (byte* p = datagram)
        {
            n = Libc.SendTo(_rawFd, p, (nuint)datagram.Length, 0, address, length);
        }
        if (n >= 0) return true;
        CountSendFailure((int)-n);
        return false;
    }

    public void Dispose() => _fd.Dispose();

    /// <summary>SO_RCVBUF/SO_SNDBUF, best effort: a smaller buffer only costs drops under bursts.</summary>
    private static partial void SetBufferSizes(int fd, int bytes);

    /// <summary>The command that shows who holds a UDP port on this OS (the EADDRINUSE hint).</summary>
    internal static partial string PortOwnerCommand(int port);

    private void CountSendFailure(int errno)
    {
        if (IsFatal(errno)) throw Broken("send", errno);
        if (errno == Libc.EAGAIN) _sendWouldBlock++;
        else _sendErrors++;
    }

    /// <summary>Errors that mean the descriptor or our arguments are broken, not the peer or the network.</summary>
    private static bool IsFatal(int errno) =>
        errno == Libc.EBADF || errno == Libc.ENOTSOCK || errno == Libc.EFAULT;

    private SystemCallException Broken(string call, int errno) =>
        new($"{call}(UDP port {LocalPort})", new Errno(errno), "The UDP socket is no longer usable; restart the daemon.");

    private int GetIntOption(int level, int name)
    {
        int r = Libc.GetSockOptInt(_rawFd, level, name, out int value);
        if (r < 0) throw new SystemCallException("getsockopt", new Errno(-r));
        return value;
    }
}
