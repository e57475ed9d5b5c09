using System.Runtime.CompilerServices;
using Overlay.Os.Interop;

namespace Overlay.Os.Tests.Interop;

/// <summary>
/// Interop layouts that are the same on every 64-bit Unix, and Darwin's kernel-control
/// structs (compiled everywhere so CI pins them). Sizes from the C headers cited in the types.
/// </summary>
public sealed unsafe class InteropLayoutTests
{
    [Fact]
    public void PollFd_Size_Is8() => Assert.Equal(8, sizeof(Libc.PollFd));

    [Fact]
    public void IoVec_Size_Is16() => Assert.Equal(16, sizeof(Libc.IoVec));

    [Fact]
    public void SockAddrIn_Size_Is16() => Assert.Equal(16, sizeof(Libc.SockAddrIn));

    [Fact]
    public void SockAddrIn6_Size_Is28() => Assert.Equal(28, sizeof(Libc.SockAddrIn6));

    [Fact]
    public void InPktInfo_Size_Is12() => Assert.Equal(12, sizeof(Libc.InPktInfo));

    [Fact]
    public void In6PktInfo_Size_Is20AndInterfaceAt16() // RFC 3542 §6.1
    {
        Assert.Equal(20, sizeof(Libc.In6PktInfo));
        Libc.In6PktInfo info = default;
        Assert.Equal(16, (int)((byte*)&info.InterfaceIndex - (byte*)&info));
    }

    [Fact]
    public void SockAddrIn6_Fields_AtHeaderOffsets()
    {
        Libc.SockAddrIn6 sa = default;
        byte* b = (byte*)&sa;
        Assert.Equal(2, (byte*)&sa.PortBigEndian - b);
        Assert.Equal(4, (byte*)&sa.FlowInfo - b);
        Assert.Equal(8, (byte*)&sa.Address - b);
        Assert.Equal(24, (byte*)&sa.ScopeId - b);
    }

    [Fact]
    public void IfName_Size_IsIfNamSiz16() => Assert.Equal(16, sizeof(IfName));

    [Fact]
    public void CtlInfo_Size_Is100()
    {
        Assert.Equal(100, sizeof(Utun.CtlInfo));
        Utun.CtlInfo info = default;
        Assert.Equal(4, (byte*)&info.Name - (byte*)&info);
    }

    [Fact]
    public void SockAddrCtl_Size_Is32_WithIdAndUnitAtOffsets4And8()
    {
        Assert.Equal(32, sizeof(Utun.SockAddrCtl));
        Utun.SockAddrCtl sc = default;
        byte* b = (byte*)&sc;
        Assert.Equal(2, (byte*)&sc.SysAddr - b);
        Assert.Equal(4, (byte*)&sc.Id - b);
        Assert.Equal(8, (byte*)&sc.Unit - b);
        Assert.Equal(12, (byte*)&sc.Reserved - b);
    }

    /// <summary>BSD ioctl encoding (sys/ioccom.h): direction | (size &amp; 0x1fff) &lt;&lt; 16 | group &lt;&lt; 8 | number.</summary>
    [Fact]
    public void CtlIocGInfo_MatchesIowrEncoding()
    {
        const uint IOC_INOUT = 0xc0000000;
        uint expected = IOC_INOUT | ((uint)sizeof(Utun.CtlInfo) << 16) | ((uint)'N' << 8) | 3;
        Assert.Equal(Utun.CTLIOCGINFO, expected);
    }

    [Fact]
    public void Errno_EAgain_HasNameAndStrerrorText()
    {
        Errno e = Errno.EAGAIN;
        Assert.Equal("EAGAIN", e.Name);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Equal($"EAGAIN ({e.Message})", e.ToString());
    }

    [Fact]
    public void Errno_UnknownValue_NamedByNumber() => Assert.Equal("errno 4000", new Errno(4000).Name);

    [Fact]
    public void SystemCallException_Message_NamesCallErrnoAndAdvice()
    {
        var ex = new SystemCallException("ioctl(TUNSETIFF)", Errno.EPERM, "Run as root or grant CAP_NET_ADMIN.");
        Assert.StartsWith("ioctl(TUNSETIFF): EPERM (", ex.Message);
        Assert.EndsWith("). Run as root or grant CAP_NET_ADMIN.", ex.Message);
        Assert.Equal(Errno.EPERM, ex.Errno);
        Assert.Equal("ioctl(TUNSETIFF)", ex.Call);
    }

    [Fact]
    public void CreatePipe_Ends_AreNonBlockingAndCloseOnExec()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.CreatePipe(fds));
        try
        {
            for (int i = 0; i < 2; i++)
            {
                Assert.NotEqual(0, Libc.FcntlInt(fds[i], Libc.F_GETFL, 0) & Libc.O_NONBLOCK);
                Assert.Equal(Libc.FD_CLOEXEC, Libc.FcntlInt(fds[i], Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
            }
            byte b = 0;
            Assert.Equal(-Libc.EAGAIN, Libc.Read(fds[0], &b, 1));
        }
        finally
        {
            Libc.Close(fds[0]);
            Libc.Close(fds[1]);
        }
    }
}
