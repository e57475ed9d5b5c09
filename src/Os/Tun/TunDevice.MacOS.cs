using System.Text;
using Overlay.Os.Interop;

namespace Overlay.Os.Tun;

/// <summary>
/// macOS: utun through a PF_SYSTEM kernel-control socket (see <see cref="Utun"/>). The
/// kernel chooses the name unless a unit is requested; every packet carries the 4-byte
/// address-family header handled by <see cref="UtunFraming"/>.
/// </summary>
public sealed partial class TunDevice
{
    private const int IfNameSize = 16; // IFNAMSIZ

    private static unsafe partial TunDevice OpenCore(string requestedName, int mtu)
    {
        uint unit = ParseUnit(requestedName);
        if (Libc.GetEUid() != 0)
        {
            throw new SystemCallException("connect(utun)", Errno.EPERM,
                "Creating a utun interface requires root: run subnetrad with sudo (or from a root launchd daemon).");
        }

        int fd = Libc.Socket(Utun.PF_SYSTEM, Libc.SOCK_DGRAM, Utun.SYSPROTO_CONTROL);
        if (fd < 0) throw new SystemCallException("socket(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL)", new Errno(-fd));
        var handle = new SafeFd(fd);
        try
        {
            int r = Libc.SetNonBlockingCloseOnExec(fd);
            if (r < 0) throw new SystemCallException("fcntl(utun, O_NONBLOCK|FD_CLOEXEC)", new Errno(-r));

            Utun.CtlInfo info = default;
            Span<byte> controlName = info.Name;
            Encoding.ASCII.GetBytes(Utun.ControlName, controlName);
            r = Libc.Ioctl(fd, Utun.CTLIOCGINFO, &info);
            if (r < 0) throw new SystemCallException($"ioctl(CTLIOCGINFO, {Utun.ControlName})", new Errno(-r));

            Utun.SockAddrCtl address = default;
            address.Length = (byte)sizeof(Utun.SockAddrCtl);
            address.Family = Utun.PF_SYSTEM;
            address.SysAddr = Utun.AF_SYS_CONTROL;
            address.Id = info.CtlId;
            address.Unit = unit;
            r = Libc.Connect(fd, (byte*)&address, sizeof(Utun.SockAddrCtl));
            if (r < 0)
            {
                int e = -r;
                throw new SystemCallException("connect(utun)", new Errno(e), e switch
                {
                    Libc.EBUSY => $"'{requestedName}' is in use; ask for \"utun\" to let the kernel choose a free unit.",
                    Libc.EPERM or Libc.EACCES => "Run as root (sudo).",
                    _ => null,
                });
            }

            IfName nameBuffer = default;
            int length = IfNameSize;
            r = Libc.GetSockOpt(fd, Utun.SYSPROTO_CONTROL, Utun.UTUN_OPT_IFNAME, &nameBuffer, ref length);
            if (r < 0) throw new SystemCallException("getsockopt(UTUN_OPT_IFNAME)", new Errno(-r));
            ReadOnlySpan<byte> raw = nameBuffer;
            raw = raw[..Math.Min(length, raw.Length)];
            int end = raw.IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(end < 0 ? raw : raw[..end]);

            if (mtu > 0) SetMtu(name, mtu);
            return new TunDevice(handle, name, afHeader: true);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>"" or "utun" = 0 (kernel picks); "utunN" = N + 1 (sc_unit numbering).</summary>
    private static uint ParseUnit(string requestedName)
    {
        if (requestedName.Length == 0 || requestedName == "utun") return 0;
        if (requestedName.StartsWith("utun", StringComparison.Ordinal)
            && uint.TryParse(requestedName.AsSpan(4), System.Globalization.NumberStyles.None, null, out uint n)
            && n < int.MaxValue)
        {
            return n + 1;
        }
        throw new ArgumentException($"macOS interface names must be \"utun\" (kernel chooses) or \"utunN\"; got '{requestedName}'.", nameof(requestedName));
    }

    /// <summary>SIOCSIFMTU with BSD's 32-byte ifreq on a throw-away datagram socket.</summary>
    private static unsafe void SetMtu(string name, int mtu)
    {
        int s = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (s < 0) throw new SystemCallException("socket(AF_INET, SOCK_DGRAM)", new Errno(-s));
        try
        {
            UtunMacOS.IfReq request = default;
            Span<byte> nameBytes = request.Name;
            Encoding.ASCII.GetBytes(name, nameBytes);
            request.Mtu = mtu;
            int r = Libc.Ioctl(s, UtunMacOS.SIOCSIFMTU, &request);
            if (r < 0)
            {
                throw new SystemCallException($"ioctl(SIOCSIFMTU, {name}, {mtu})", new Errno(-r),
                    -r == Libc.EINVAL ? "The MTU is out of range for utun." : null);
            }
        }
        finally
        {
            Libc.Close(s);
        }
    }
}
