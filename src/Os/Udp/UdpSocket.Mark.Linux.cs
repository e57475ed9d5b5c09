using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

public sealed unsafe partial class UdpSocket
{
    private const int SO_MARK = 36;

    /// <summary>SO_MARK (socket(7); needs CAP_NET_ADMIN): policy routing can keep the tunnel's own datagrams off the tunnel.</summary>
    public void SetMark(uint mark)
    {
        int r = Libc.SetSockOpt(_rawFd, Libc.SOL_SOCKET, SO_MARK, unchecked((int)mark));
        if (r < 0) throw new SystemCallException($"setsockopt(SO_MARK, {mark})", new Errno(-r), "fwmark needs root or CAP_NET_ADMIN.");
    }
}
