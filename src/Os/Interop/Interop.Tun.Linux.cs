using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// Linux TUN driver interface (Documentation/networking/tuntap.rst, linux/if_tun.h, net/if.h).
/// A tun is created by opening /dev/net/tun and issuing TUNSETIFF with a 40-byte ifreq
/// (name in bytes 0..15, flags u16 at 16). IFF_NO_PI drops the 4-byte packet-information
/// prefix, so each read/write is exactly one IP packet. The MTU is set with SIOCSIFMTU on
/// any datagram socket with the same ifreq (netdevice(7), int ifr_mtu at 16).
/// </summary>
internal static class TunLinux
{
    public const string DevicePath = "/dev/net/tun";
    public const int IFNAMSIZ = 16;
    public const uint TUNSETIFF = 0x400454ca;   // _IOW('T', 202, int)
    public const uint SIOCGIFMTU = 0x8921;
    public const uint SIOCSIFMTU = 0x8922;
    public const short IFF_TUN = 0x0001;
    public const short IFF_NO_PI = 0x1000;

    /// <summary>struct ifreq: 16-byte name + 24-byte union = 40 bytes on 64-bit.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)] public IfName Name;
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public int Mtu;
    }
}
