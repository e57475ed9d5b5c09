using System.Text;
using Overlay.Os.Interop;
using Overlay.Os.Tun;

namespace Overlay.Os.Tests.Interop;

/// <summary>
/// The Darwin kernel-control and utun values that TunDevice.MacOS.cs passes to the kernel,
/// pinned to the numbers in the headers because no Mac runs these tests:
/// sys/sys_domain.h (AF_SYSTEM 32, SYSPROTO_CONTROL 2, AF_SYS_CONTROL 2),
/// sys/kern_control.h (MAX_KCTL_NAME 96, CTLIOCGINFO = _IOWR('N', 3, struct ctl_info) = 0xc0644e03),
/// net/if_utun.h (UTUN_CONTROL_NAME "com.apple.net.utun_control", UTUN_OPT_IFNAME 2),
/// sys/socket.h (AF_INET 2, AF_INET6 30: the values in utun's 4-byte header).
/// </summary>
public sealed unsafe class UtunConstantsTests
{
    [Fact]
    public void KernelControl_Constants_MatchDarwinHeaders()
    {
        Assert.Equal(32, Utun.PF_SYSTEM);
        Assert.Equal(2, Utun.SYSPROTO_CONTROL);
        Assert.Equal(2, Utun.AF_SYS_CONTROL);
        Assert.Equal(96, Utun.MAX_KCTL_NAME);
    }

    [Fact]
    public void CtlIocGInfo_IsHeaderValue() => Assert.Equal(0xc0644e03u, Utun.CTLIOCGINFO);

    [Fact]
    public void UtunOptIfName_IsTwo() => Assert.Equal(2, Utun.UTUN_OPT_IFNAME);

    [Fact]
    public void ControlName_FitsCtlNameWithTerminator()
    {
        Assert.Equal("com.apple.net.utun_control", Utun.ControlName);
        Utun.CtlInfo info = default;
        Span<byte> name = info.Name;
        Assert.Equal(Utun.MAX_KCTL_NAME, name.Length);
        int written = Encoding.ASCII.GetBytes(Utun.ControlName, name);
        Assert.True(written < name.Length, "ctl_name needs room for its NUL terminator");
        Assert.Equal(0, name[written]);
    }

    [Fact]
    public void SockAddrCtl_LengthByte_FitsStructSize()
    {
        // sc_len is a u8 holding sizeof(struct sockaddr_ctl); connect(2) rejects any other value.
        Utun.SockAddrCtl address = default;
        address.Length = (byte)sizeof(Utun.SockAddrCtl);
        Assert.Equal(32, address.Length);
        Assert.Equal(0, ((byte*)&address.Length) - (byte*)&address);
        Assert.Equal(1, ((byte*)&address.Family) - (byte*)&address);
    }

    [Fact]
    public void AfHeader_Families_AreDarwinAfInetAndAfInet6()
    {
        Assert.Equal(4, UtunFraming.HeaderLength);
        Assert.Equal(2u, UtunFraming.AfInet);
        Assert.Equal(30u, UtunFraming.AfInet6);
        Assert.Equal(5, UtunFraming.MinFrameLength);
    }

    [Fact]
    public void TunDevice_Headroom_IsAfHeaderLength() => Assert.Equal(UtunFraming.HeaderLength, TunDevice.Headroom);
}
