using System.Text;
using Overlay.Os.Interop;

namespace Overlay.Os.Tun;

/// <summary>macOS: no network namespaces, so the utun is looked up by its name.</summary>
public sealed partial class TunDevice
{
    private unsafe partial bool IsAttachedCore() => ProcessLibc.IfNameToIndex(Name) != 0;

    /// <summary>SIOCGIFMTU with BSD's 32-byte ifreq on a throw-away datagram socket.</summary>
    private unsafe partial int QueryMtuCore()
    {
        int s = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (s < 0) return 0;
        try
        {
            UtunMacOS.IfReq request = default;
            Span<byte> nameBytes = request.Name;
            Encoding.ASCII.GetBytes(Name, nameBytes);
            return Libc.Ioctl(s, UtunMacOS.SIOCGIFMTU, &request) < 0 ? 0 : request.Mtu;
        }
        finally
        {
            Libc.Close(s);
        }
    }

    private partial void DisposeLink() { }
}
