using Overlay.Os.Interop;

namespace Overlay.Os.Tests.Interop;

/// <summary>Linux-only values and layouts (x86_64/arm64; asm-generic headers, linux/if_tun.h).</summary>
public sealed unsafe class InteropLayoutLinuxTests
{
    [Fact]
    public void IfReq_Size_Is40_WithFlagsAndMtuAt16()
    {
        Assert.Equal(40, sizeof(TunLinux.IfReq));
        TunLinux.IfReq r = default;
        Assert.Equal(16, (byte*)&r.Flags - (byte*)&r);
        Assert.Equal(16, (byte*)&r.Mtu - (byte*)&r);
    }

    [Fact]
    public void MsgHdr_Size_Is56() => Assert.Equal(56, sizeof(Libc.MsgHdr));

    [Fact]
    public void MMsgHdr_Size_Is64_WithLengthAt56()
    {
        Assert.Equal(64, sizeof(Libc.MMsgHdr));
        Libc.MMsgHdr m = default;
        Assert.Equal(56, (byte*)&m.Length - (byte*)&m);
    }

    /// <summary>CMSG_SPACE(n) = CMSG_ALIGN(sizeof(cmsghdr)) + CMSG_ALIGN(n), 8-byte alignment on 64-bit (bits/socket.h).</summary>
    [Fact]
    public void CmsgSpace_PacketInfo_IsHeaderPlusAlignedStruct()
    {
        static int Align(int n) => (n + 7) & ~7;
        Assert.Equal(Libc.CmsgHeaderSize + Align(sizeof(Libc.InPktInfo)), Libc.CmsgSpaceInPktInfo);
        Assert.Equal(Libc.CmsgHeaderSize + Align(sizeof(Libc.In6PktInfo)), Libc.CmsgSpaceIn6PktInfo);
    }

    /// <summary>Linux ioctl encoding (asm-generic/ioctl.h): _IOW = 1 &lt;&lt; 30 | size &lt;&lt; 16 | type &lt;&lt; 8 | nr.</summary>
    [Fact]
    public void TunSetIff_MatchesIowEncoding() =>
        Assert.Equal(TunLinux.TUNSETIFF, (uint)((1u << 30) | (sizeof(int) << 16) | ('T' << 8) | 202));

    [Theory]
    [InlineData(11, "EAGAIN")]
    [InlineData(1, "EPERM")]
    [InlineData(16, "EBUSY")]
    [InlineData(98, "EADDRINUSE")]
    [InlineData(111, "ECONNREFUSED")]
    public void Errno_LinuxNumbers_HaveLinuxNames(int value, string name) => Assert.Equal(name, new Errno(value).Name);

    [Fact]
    public void Constants_MatchLinuxHeaders()
    {
        Assert.Equal(10, Libc.AF_INET6);
        Assert.Equal(0x800, Libc.O_NONBLOCK);
        Assert.Equal(0x80000, Libc.O_CLOEXEC);
        Assert.Equal(1, Libc.SOL_SOCKET);
        Assert.Equal(26, Libc.IPV6_V6ONLY);
        Assert.Equal(0x1001, TunLinux.IFF_TUN | TunLinux.IFF_NO_PI);
    }

    [Fact]
    public void Errno_Message_IsGlibcStrerror() =>
        Assert.Equal("Resource temporarily unavailable", Errno.EAGAIN.Message);
}
