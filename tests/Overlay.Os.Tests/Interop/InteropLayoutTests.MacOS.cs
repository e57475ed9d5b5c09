using Overlay.Os.Interop;

namespace Overlay.Os.Tests.Interop;

/// <summary>macOS-only values and layouts (sys/errno.h, sys/socket.h, sys/sockio.h).</summary>
public sealed unsafe class InteropLayoutMacOSTests
{
    [Fact]
    public void IfReq_Size_Is32_WithMtuAt16()
    {
        Assert.Equal(32, sizeof(UtunMacOS.IfReq));
        UtunMacOS.IfReq r = default;
        Assert.Equal(16, (byte*)&r.Mtu - (byte*)&r);
    }

    [Fact]
    public void MsgHdr_Size_Is48() => Assert.Equal(48, sizeof(Libc.MsgHdr));

    [Fact]
    public void SiocSIfMtu_MatchesIowEncoding() =>
        Assert.Equal(UtunMacOS.SIOCSIFMTU, (uint)(0x80000000u | ((uint)sizeof(UtunMacOS.IfReq) << 16) | ('i' << 8) | 52));

    [Fact]
    public void SockAddrIn6_Init_SetsLengthAndFamilyBytes()
    {
        Libc.SockAddrIn6 sa;
        Libc.InitSockAddrIn6(&sa);
        Assert.Equal(28, sa.Length);
        Assert.Equal(30, sa.Family);
    }

    [Fact]
    public void Constants_MatchDarwinHeaders()
    {
        Assert.Equal(35, Libc.EAGAIN);
        Assert.Equal(30, Libc.AF_INET6);
        Assert.Equal(0x4, Libc.O_NONBLOCK);
        Assert.Equal(0xffff, Libc.SOL_SOCKET);
        Assert.Equal(27, Libc.IPV6_V6ONLY);
    }
}
