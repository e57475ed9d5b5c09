using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// Linux TUN driver interface (Documentation/networking/tuntap.rst, linux/if_tun.h, net/if.h).
/// A tun is created by opening /dev/net/tun and issuing TUNSETIFF with a 40-byte ifreq
/// (name in bytes 0..15, flags u16 at 16). IFF_NO_PI drops the 4-byte packet-information
/// prefix, so each read/write is exactly one IP packet. The MTU is set with SIOCSIFMTU on
/// any datagram socket with the same ifreq (netdevice(7), int ifr_mtu at 16).
/// IFF_VNET_HDR and TUNSETOFFLOAD (linux/if_tun.h, drivers/net/tun.c set_offload) turn on
/// segmentation and checksum offloads: see Tun/Offload. set_offload refuses unknown bits with
/// EINVAL before applying any, so a refused USO leaves the TSO setting in place.
/// </summary>
internal static class TunLinux
{
    public const string DevicePath = "/dev/net/tun";
    public const int IFNAMSIZ = 16;
    public const uint TUNSETIFF = 0x400454ca;   // _IOW('T', 202, int)
    public const uint TUNGETIFF = 0x800454d2;   // _IOR('T', 210, unsigned int): the attached interface's name; EBADFD once it is deleted
    public const uint TUNGETDEVNETNS = 0x54e3;  // _IO('T', 227), Linux 5.2: an fd of the namespace the interface is in now
    public const uint SIOCGIFMTU = 0x8921;
    public const uint SIOCSIFMTU = 0x8922;
    public const short IFF_TUN = 0x0001;
    public const short IFF_NO_PI = 0x1000;
    /// <summary>Every read and write carries a 10-byte struct virtio_net_hdr first (GSO, checksum offload).</summary>
    public const short IFF_VNET_HDR = 0x4000;

    /// <summary>_IOW('T', 208, unsigned int): the offloads the reader of this tun can take.</summary>
    public const uint TUNSETOFFLOAD = 0x400454d0;
    public const uint TUN_F_CSUM = 0x01;   // we complete partial checksums
    public const uint TUN_F_TSO4 = 0x02;   // TCP/IPv4 super-packets (needs TUN_F_CSUM)
    public const uint TUN_F_TSO6 = 0x04;   // TCP/IPv6 super-packets
    public const uint TUN_F_USO4 = 0x20;   // UDP GSO over IPv4 (Linux >= 6.2)
    public const uint TUN_F_USO6 = 0x40;   // UDP GSO over IPv6 (Linux >= 6.2)

    /// <summary>struct ifreq: 16-byte name + 24-byte union = 40 bytes on 64-bit.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)] public IfName Name;
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public int Mtu;
    }
}
