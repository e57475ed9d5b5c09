using System.Text;
using Overlay.Os.Interop;

namespace Overlay.Os.Tun;

/// <summary>
/// Linux: /dev/net/tun + TUNSETIFF (Documentation/networking/tuntap.rst). The device is opened
/// with IFF_VNET_HDR and TUNSETOFFLOAD (checksum, TSO4/6, then USO4/6 where the kernel has it)
/// so reads bring super-packets and writes may carry them (TunDevice.Offload.cs); a kernel that
/// refuses gets the plain device, and <see cref="OffloadNote"/> says why for the log.
/// </summary>
public sealed partial class TunDevice
{
    private const uint TsoFlags = TunLinux.TUN_F_CSUM | TunLinux.TUN_F_TSO4 | TunLinux.TUN_F_TSO6;
    private const uint UsoFlags = TunLinux.TUN_F_USO4 | TunLinux.TUN_F_USO6;

    private static unsafe partial TunDevice OpenCore(string requestedName, int mtu)
    {
        string? refused = null;
        return TryOpen(requestedName, mtu, offloaded: true, ref refused)
            ?? TryOpen(requestedName, mtu, offloaded: false, ref refused)!;
    }

    /// <summary>
    /// Opens the device; with <paramref name="offloaded"/>, null when the kernel refuses the
    /// virtio-net header or the offloads (the reason in <paramref name="refused"/>), so the
    /// caller opens it plain. Every other failure throws with the fix.
    /// </summary>
    private static unsafe TunDevice? TryOpen(string requestedName, int mtu, bool offloaded, ref string? refused)
    {
        TunLinux.IfReq request = default;
        WriteName(ref request.Name, requestedName);
        request.Flags = (short)(TunLinux.IFF_TUN | TunLinux.IFF_NO_PI | (offloaded ? TunLinux.IFF_VNET_HDR : 0));

        int fd = Libc.Open(TunLinux.DevicePath, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int e = -fd;
            throw new SystemCallException($"open({TunLinux.DevicePath})", new Errno(e), e switch
            {
                Libc.ENOENT or Libc.ENODEV or Libc.ENXIO =>
                    "The tun driver is missing: load the tun module (modprobe tun); in a container, pass the device in (--device /dev/net/tun).",
                Libc.EPERM or Libc.EACCES => "Run as root or grant CAP_NET_ADMIN.",
                _ => null,
            });
        }
        var handle = new SafeFd(fd);
        try
        {
            int r = Libc.Ioctl(fd, TunLinux.TUNSETIFF, &request);
            if (r < 0 && offloaded && -r == Libc.EINVAL)
            {
                // Maybe only IFF_VNET_HDR is refused; the plain attempt reports a real name problem.
                refused = $"ioctl(TUNSETIFF, IFF_VNET_HDR) refused ({new Errno(-r).Name})";
                handle.Dispose();
                return null;
            }
            if (r < 0)
            {
                int e = -r;
                throw new SystemCallException("ioctl(TUNSETIFF)", new Errno(e), e switch
                {
                    Libc.EPERM or Libc.EACCES => "Run as root or grant CAP_NET_ADMIN.",
                    Libc.EBUSY => $"Interface '{requestedName}' is in use by another process; stop it or choose another name.",
                    Libc.EINVAL => $"'{requestedName}' is not a valid interface name, or an interface of that name exists and is not a tun (see: ip link show {requestedName}).",
                    _ => null,
                });
            }
            TunOffloads offloads = TunOffloads.None;
            string note;
            if (offloaded)
            {
                r = Libc.Ioctl(fd, TunLinux.TUNSETOFFLOAD, (void*)(nuint)TsoFlags);
                if (r < 0)
                {
                    refused = $"ioctl(TUNSETOFFLOAD, csum|tso4|tso6) refused ({new Errno(-r).Name})";
                    handle.Dispose();   // a non-persistent tun goes with its fd: reopen it plain
                    return null;
                }
                offloads = TunOffloads.Tcp;
                // USO needs Linux >= 6.2; set_offload refuses unknown bits before applying any.
                r = Libc.Ioctl(fd, TunLinux.TUNSETOFFLOAD, (void*)(nuint)(TsoFlags | UsoFlags));
                if (r >= 0) offloads |= TunOffloads.Udp;
                note = r >= 0
                    ? "tun offloads on: checksum, TCP segmentation/coalescing (tso4, tso6), UDP (uso4, uso6)"
                    : $"tun offloads on: checksum, TCP segmentation/coalescing (tso4, tso6); UDP (uso4, uso6) refused ({new Errno(-r).Name}, needs Linux 6.2)";
            }
            else
            {
                note = $"tun offloads off: {refused ?? "not requested"}; one packet per read and write";
            }
            string name = ReadName(ref request.Name);
            if (mtu > 0) SetMtu(name, mtu);
            return new TunDevice(handle, name, afHeader: false, offloads, note);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>SIOCSIFMTU on a throw-away datagram socket (netdevice(7)).</summary>
    private static unsafe void SetMtu(string name, int mtu)
    {
        int s = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, 0);
        if (s < 0) throw new SystemCallException("socket(AF_INET, SOCK_DGRAM)", new Errno(-s));
        try
        {
            TunLinux.IfReq request = default;
            WriteName(ref request.Name, name);
            request.Mtu = mtu;
            int r = Libc.Ioctl(s, TunLinux.SIOCSIFMTU, &request);
            if (r < 0)
            {
                int e = -r;
                throw new SystemCallException($"ioctl(SIOCSIFMTU, {name}, {mtu})", new Errno(e), e switch
                {
                    Libc.EINVAL => "The MTU is out of range for a tun (68..65535 for IPv4, at least 1280 for IPv6).",
                    Libc.EPERM or Libc.EACCES => "Run as root or grant CAP_NET_ADMIN.",
                    _ => null,
                });
            }
        }
        finally
        {
            Libc.Close(s);
        }
    }

    private static void WriteName(ref IfName dest, string name)
    {
        Span<byte> span = dest;
        int n = Encoding.UTF8.GetByteCount(name);
        if (n >= TunLinux.IFNAMSIZ || name.Contains('\0'))
            throw new ArgumentException($"Interface name '{name}' must be at most {TunLinux.IFNAMSIZ - 1} bytes and contain no NUL.", nameof(name));
        span.Clear();
        Encoding.UTF8.GetBytes(name, span);
    }

    private static string ReadName(ref IfName source)
    {
        ReadOnlySpan<byte> span = source;
        int end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
