using Overlay.Os.Tun.Offload;
using static Overlay.Os.Tests.Tun.Offload.PacketBuilder;

namespace Overlay.Os.Tests.Tun.Offload;

public sealed class InternetChecksumTests
{
    [Fact]
    public void Sum_Rfc1071Example_MatchesTheRfc()
    {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2u, InternetChecksum.Sum(data));
        Assert.Equal((ushort)0x220d, InternetChecksum.Finish(InternetChecksum.Sum(data)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(1419)]
    [InlineData(1420)]
    [InlineData(65535)]
    public void Sum_AnyLength_AgreesWithReference(int length)
    {
        var rng = new Random(length);
        var data = new byte[length];
        rng.NextBytes(data);
        Assert.Equal(RefChecksum(data), InternetChecksum.Finish(InternetChecksum.Sum(data)));
    }

    [Fact]
    public void Sum_AllOnes_FoldsWithoutOverflow()
    {
        var data = new byte[65536];
        Array.Fill(data, (byte)0xFF);
        Assert.Equal(RefChecksum(data), InternetChecksum.Finish(InternetChecksum.Sum(data)));
    }

    [Fact]
    public void Sum_InEvenPieces_EqualsSumOfWhole()
    {
        var data = Payload(1001, seed: 3);
        uint whole = InternetChecksum.Sum(data);
        uint pieces = InternetChecksum.Sum(data.AsSpan(600), InternetChecksum.Sum(data.AsSpan(0, 600)));
        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void PseudoHeaders_AgreeWithReference()
    {
        byte[] v4 = Build(v6: false, IpTcp, Payload(10));
        byte[] v6 = Build(v6: true, IpUdp, Payload(10));
        uint s4 = InternetChecksum.PseudoHeaderV4(Src4, Dst4, IpTcp, 1234);
        uint s6 = InternetChecksum.PseudoHeaderV6(Src6, Dst6, IpUdp, 70000);
        Assert.Equal(RefChecksum(PseudoHeader(v4, 1234)), InternetChecksum.Finish(s4));
        Assert.Equal(RefChecksum(PseudoHeader(v6, 70000)), InternetChecksum.Finish(s6));
    }
}

public sealed class VirtioNetHeaderTests
{
    [Fact]
    public void WriteThenRead_RoundTripsInLittleEndian()
    {
        var h = new VirtioNetHeader { Flags = 1, GsoType = VirtioNetHeader.GsoTcpV6 | VirtioNetHeader.GsoEcn, HdrLen = 0x0102, GsoSize = 1380, CsumStart = 40, CsumOffset = 16 };
        var b = new byte[VirtioNetHeader.Length];
        h.Write(b);
        Assert.Equal(new byte[] { 1, 0x84, 0x02, 0x01, 0x64, 0x05, 40, 0, 16, 0 }, b);
        Assert.True(VirtioNetHeader.TryRead(b, out var back));
        Assert.Equal(h, back);
        Assert.Equal(VirtioNetHeader.GsoTcpV6, back.GsoKind);
        Assert.True(back.NeedsCsum);
    }

    [Fact]
    public void TryRead_ShortBuffer_ReturnsFalse()
    {
        Assert.False(VirtioNetHeader.TryRead(new byte[9], out _));
    }
}
