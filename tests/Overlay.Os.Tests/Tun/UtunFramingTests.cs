using Overlay.Os.Tun;

namespace Overlay.Os.Tests.Tun;

/// <summary>utun's 4-byte AF header: big-endian Darwin AF_INET (2) / AF_INET6 (30) (net/if_utun.c).</summary>
public sealed class UtunFramingTests
{
    [Theory]
    [InlineData(0x45, new byte[] { 0, 0, 0, 2 })]
    [InlineData(0x4f, new byte[] { 0, 0, 0, 2 })]
    [InlineData(0x60, new byte[] { 0, 0, 0, 30 })]
    public void TryWriteHeader_IpVersionNibble_WritesDarwinFamily(byte first, byte[] expected)
    {
        byte[] header = [9, 9, 9, 9];
        Assert.True(UtunFraming.TryWriteHeader(header, first));
        Assert.Equal(expected, header);
        Assert.Equal((uint)expected[3], UtunFraming.ReadFamily(header));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x50)]
    [InlineData(0xf0)]
    public void TryWriteHeader_OtherVersion_ReturnsFalse(byte first) =>
        Assert.False(UtunFraming.TryWriteHeader(new byte[4], first));
}
