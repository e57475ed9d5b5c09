using Overlay.Os.Interop;

namespace Overlay.Os.Tun;

/// <summary>
/// Linux: the interface seen through the tun fd, wherever it lives. wireguard.com/netns's trick
/// (and wireguard-go's tests/netns.sh) moves the interface into another network namespace while
/// the daemon, its UDP sockets and this fd stay in the first, so nothing here may look the
/// interface up by name in the daemon's namespace: TUNGETIFF on the fd gives its current name
/// (EBADFD once it is deleted), TUNGETDEVNETNS (Linux 5.2) an fd of its current namespace, and
/// SIOCGIFMTU runs on a datagram socket created in that namespace. A socket stays in the
/// namespace it was created in, so one is made on a short-lived thread that joins the namespace
/// (setns moves only the calling thread) and kept until the interface moves again.
/// </summary>
public sealed partial class TunDevice
{
    private readonly Lock _link = new();
    private int _linkSocket = -1;
    private ulong _linkNamespace;

    private unsafe partial bool IsAttachedCore()
    {
        TunLinux.IfReq request = default;
        int r = Libc.Ioctl(_rawFd, TunLinux.TUNGETIFF, &request);
        return r >= 0 || (r != -Libc.EBADFD && r != -Libc.EBADF);
    }

    private unsafe partial int QueryMtuCore()
    {
        lock (_link)
        {
            TunLinux.IfReq request = default;
            if (Libc.Ioctl(_rawFd, TunLinux.TUNGETIFF, &request) < 0) return 0;
            if (!LinkSocketReady()) return 0;
            request.Mtu = 0;   // the name stays; the union after it receives the MTU
            return Libc.Ioctl(_linkSocket, TunLinux.SIOCGIFMTU, &request) < 0 ? 0 : request.Mtu;
        }
    }

    /// <summary>Makes <see cref="_linkSocket"/> a socket of the interface's current namespace; false when it cannot.</summary>
    private unsafe bool LinkSocketReady()
    {
        int ns = Libc.Ioctl(_rawFd, TunLinux.TUNGETDEVNETNS, null);
        if (ns < 0)
        {
            // Before Linux 5.2 the namespace cannot be asked for: the daemon's own is the best guess.
            if (_linkSocket < 0) _linkSocket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, 0);
            return _linkSocket >= 0;
        }
        try
        {
            ulong inode = Libc.Inode(ns);
            if (_linkSocket >= 0 && inode == _linkNamespace) return true;
            if (_linkSocket >= 0) Libc.Close(_linkSocket);
            _linkSocket = SocketIn(ns);
            _linkNamespace = _linkSocket >= 0 ? inode : 0;
            return _linkSocket >= 0;
        }
        finally
        {
            Libc.Close(ns);
        }
    }

    /// <summary>
    /// A datagram socket in the namespace of <paramref name="ns"/>: created directly when that is
    /// this thread's namespace, else on a new thread that joins it first (needs CAP_SYS_ADMIN; the
    /// thread ends right after, so no other code runs in the foreign namespace). -1 when refused.
    /// </summary>
    private static int SocketIn(int ns)
    {
        int own = Libc.Open("/proc/thread-self/ns/net", Libc.O_CLOEXEC);
        bool same = false;
        if (own >= 0)
        {
            same = Libc.Inode(own) == Libc.Inode(ns);
            Libc.Close(own);
        }
        if (same) return Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, 0);
        int socket = -1;
        var joiner = new Thread(() =>
        {
            if (Libc.SetNs(ns, Libc.CLONE_NEWNET) == 0) socket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SocketTypeFlags, 0);
        }) { IsBackground = true, Name = "tun-netns" };
        joiner.Start();
        joiner.Join();
        return socket;
    }

    private partial void DisposeLink()
    {
        lock (_link)
        {
            if (_linkSocket >= 0) Libc.Close(_linkSocket);
            _linkSocket = -1;
        }
    }
}
