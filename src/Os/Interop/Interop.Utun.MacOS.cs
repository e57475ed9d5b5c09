using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// macOS interface MTU ioctls (sys/sockio.h). BSD's struct ifreq is 32 bytes: 16-byte name
/// and a 16-byte union with int ifr_mtu at offset 16. The kernel-control layouts used to
/// open the utun are in Interop.Utun.cs.
/// </summary>
internal static class UtunMacOS
{
    public const uint SIOCSIFMTU = 0x80206934;  // _IOW('i', 52, struct ifreq)
    public const uint SIOCGIFMTU = 0xc0206933;  // _IOWR('i', 51, struct ifreq)

    [StructLayout(LayoutKind.Explicit, Size = 32)]
    public struct IfReq
    {
        [FieldOffset(0)] public IfName Name;
        [FieldOffset(16)] public int Mtu;
    }
}
