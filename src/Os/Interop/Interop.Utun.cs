using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// Darwin kernel-control sockets, as used to create a utun (sys/kern_control.h,
/// sys/sys_domain.h, net/if_utun.h). These layouts exist only on Darwin and do not vary,
/// so they compile on every OS and their sizes are tested on Linux CI; the calls that use
/// them are in Interop.Utun.MacOS.cs.
///   socket(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL)
///   ioctl(CTLIOCGINFO, ctl_info{name = "com.apple.net.utun_control"}) -> ctl_id
///   connect(sockaddr_ctl{ctl_id, unit}) -> unit 0 lets the kernel pick utunN
///   getsockopt(SYSPROTO_CONTROL, UTUN_OPT_IFNAME) -> the chosen name
/// </summary>
internal static class Utun
{
    public const int PF_SYSTEM = 32;          // AF_SYSTEM
    public const int SYSPROTO_CONTROL = 2;
    public const ushort AF_SYS_CONTROL = 2;
    // ioctl requests are uint, widened to unsigned long at the call: a const nuint with the
    // top bit set came out sign-extended (0xffffffffc0644e03) when read from another assembly.
    public const uint CTLIOCGINFO = 0xc0644e03; // _IOWR('N', 3, struct ctl_info)
    public const int MAX_KCTL_NAME = 96;
    public const int UTUN_OPT_IFNAME = 2;
    public const string ControlName = "com.apple.net.utun_control";

    /// <summary>struct ctl_info: u32 ctl_id + char ctl_name[96] = 100 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CtlInfo
    {
        public uint CtlId;
        public CtlName Name;
    }

    [InlineArray(MAX_KCTL_NAME)]
    public struct CtlName
    {
        private byte _element0;
    }

    /// <summary>
    /// struct sockaddr_ctl: u8 sc_len, u8 sc_family, u16 ss_sysaddr, u32 sc_id, u32 sc_unit,
    /// u32 sc_reserved[5] = 32 bytes.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrCtl
    {
        public byte Length;
        public byte Family;
        public ushort SysAddr;
        public uint Id;
        public uint Unit;
        public Reserved5 Reserved;
    }

    [InlineArray(5)]
    public struct Reserved5
    {
        private uint _element0;
    }
}
