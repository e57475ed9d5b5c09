using System.Buffers.Binary;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.SelfTests;

/// <summary>The harness's text and file parsers on fixed samples; needs no root.</summary>
public sealed class ParserTests
{
    private const string PubA = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
    private const string PubB = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    [Fact]
    public void WgDumpParse_InterfaceAndTwoPeers_ReadsEveryField()
    {
        // Shape from wg(8) "dump": tab-separated, (none)/off for absent values, 0 = never.
        string text =
            "cHJpdmF0ZQ==\tcHVibGlj\t51820\toff\n" +
            $"{PubA}\tcHNr\t198.18.1.2:40000\t198.19.0.2/32\t1700000000\t1234\t5678\t25\n" +
            $"{PubB}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n";

        WgDump dump = WgDump.Parse(text);

        Assert.Equal(51820, dump.ListenPort);
        Assert.Null(dump.FwMark);
        WgDumpPeer a = dump.Peer(PubA);
        Assert.Equal("198.18.1.2:40000", a.Endpoint);
        Assert.Equal(["198.19.0.2/32"], a.AllowedIps);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), a.LatestHandshake);
        Assert.Equal(1234, a.RxBytes);
        Assert.Equal(5678, a.TxBytes);
        Assert.Equal(25, a.PersistentKeepalive);
        WgDumpPeer b = dump.Peer(PubB);
        Assert.False(b.HasHandshake);
        Assert.Null(b.PresharedKey);
        Assert.Null(b.Endpoint);
        Assert.Empty(b.AllowedIps);
        Assert.Null(b.PersistentKeepalive);
    }

    [Fact]
    public void WgDumpParse_ShortPeerLine_Throws()
    {
        Assert.Throws<HarnessException>(() => WgDump.Parse("a\tb\t1\toff\nx\ty\n"));
    }

    [Fact]
    public void WgQuickConfigParse_ExportShape_SplitsQuickKeysFromWgKeys()
    {
        string text = """
            # exported by subnetra
            [Interface]
            PrivateKey = cHJpdmF0ZWtleQ==
            Address = 198.19.0.2/24, 198.19.1.2
            MTU = 1380
            ListenPort = 51821

            [Peer]
            PublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=
            PresharedKey = cHNrcHNr
            Endpoint = 198.18.1.1:51820
            AllowedIPs = 198.19.0.0/24, 198.19.5.0/24
            PersistentKeepalive = 25
            """;

        WgQuickConfig config = WgQuickConfig.Parse(text);

        Assert.Equal(["198.19.0.2/24", "198.19.1.2/32"], config.Addresses);
        Assert.Equal(1380, config.Mtu);
        Assert.Equal(51821, config.ListenPort);
        WgQuickPeer peer = Assert.Single(config.Peers);
        Assert.Equal("198.18.1.1:51820", peer.Endpoint);
        Assert.Equal(["198.19.0.0/24", "198.19.5.0/24"], peer.AllowedIps);
        Assert.Equal(25, peer.PersistentKeepalive);
        Assert.DoesNotContain("Address", config.WgSetconfText);
        Assert.DoesNotContain("MTU", config.WgSetconfText);
        Assert.DoesNotContain("#", config.WgSetconfText);
        Assert.Contains("ListenPort = 51821", config.WgSetconfText);
        Assert.Contains("PresharedKey = cHNrcHNr", config.WgSetconfText);
    }

    [Theory]
    [InlineData("[Interface]\nPostUp = rm -rf /\n", "not supported")]
    [InlineData("[Interface]\nFoo = 1\n", "unknown [Interface] key Foo")]
    [InlineData("[Interface]\n[Peer]\nEndpoint = 198.18.1.1:1\n", "without PublicKey")]
    [InlineData("[Peer]\nPublicKey = x\n", "no [Interface]")]
    [InlineData("[Interface]\nMTU = big\n", "wants a number")]
    [InlineData("PrivateKey = x\n", "inside a section")]
    public void WgQuickConfigParse_BadText_ThrowsNamingTheProblem(string text, string expected)
    {
        HarnessException e = Assert.Throws<HarnessException>(() => WgQuickConfig.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ParsePing_IputilsSummary_ReadsCountsAndRtt()
    {
        string output = """
            PING 198.18.1.1 (198.18.1.1) 56(84) bytes of data.

            --- 198.18.1.1 ping statistics ---
            3 packets transmitted, 2 received, 33.3333% packet loss, time 402ms
            rtt min/avg/max/mdev = 0.031/0.040/0.051/0.008 ms
            """;

        PingResult result = Netns.ParsePing(output);

        Assert.Equal(3, result.Transmitted);
        Assert.Equal(2, result.Received);
        Assert.False(result.AllReceived);
        Assert.Equal(0.031, result.RttMinMs);
        Assert.Equal(0.040, result.RttAvgMs);
        Assert.Equal(0.051, result.RttMaxMs);
    }

    [Fact]
    public void ParsePing_NoReplies_ZeroReceivedNoRtt()
    {
        PingResult result = Netns.ParsePing("1 packets transmitted, 0 received, 100% packet loss, time 0ms\n");

        Assert.Equal(1, result.Transmitted);
        Assert.Equal(0, result.Received);
        Assert.Null(result.RttAvgMs);
    }

    [Theory]
    [InlineData("198.18.0.1", true)]
    [InlineData("198.19.255.254", true)]
    [InlineData("198.18.1.2/24", true)]
    [InlineData("198.18.0.0/15", true)]
    [InlineData("198.18.0.0/14", false)]
    [InlineData("198.20.0.1", false)]
    [InlineData("198.17.255.255", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("192.168.1.1/24", false)]
    [InlineData("::1", false)]
    [InlineData("2001:2::1", true)]
    [InlineData("2001:2:0:241::1/112", true)]
    [InlineData("2001:2::/48", true)]
    [InlineData("2001:2::/47", false)]
    [InlineData("2001:2:1::1", false)]
    [InlineData("2001:2:0:ff::2/64", true)]
    [InlineData("2001:3::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("nonsense", false)]
    public void IsAllowed_Address_OnlyInsideBenchmarkRange(string address, bool expected)
    {
        Assert.Equal(expected, Netns.IsAllowed(address));
    }

    [Fact]
    public void PcapParse_TwoRecordsAndTruncatedTail_ReturnsTwoPackets()
    {
        var file = new List<byte>();
        byte[] header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
        file.AddRange(header);
        AddRecord(file, 100, 5, [1, 2, 3]);
        AddRecord(file, 101, 0, [0xde, 0xad, 0xbe, 0xef]);
        file.AddRange(new byte[10]);

        IReadOnlyList<CapturedPacket> packets = Pcap.Parse(file.ToArray());

        Assert.Equal(2, packets.Count);
        Assert.Equal(new byte[] { 1, 2, 3 }, packets[0].Data);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(100).AddTicks(50), packets[0].Timestamp);
        var result = new CaptureResult(packets, string.Empty);
        Assert.True(result.Contains(new byte[] { 0xad, 0xbe }));
        Assert.False(result.Contains(new byte[] { 3, 0xde }));
    }

    [Fact]
    public void PcapParse_NotPcap_Throws()
    {
        Assert.Throws<HarnessException>(() => Pcap.Parse(new byte[24]));
    }

    [Fact]
    public void Iperf3Parse_TcpSummary_UsesReceiverRate()
    {
        string json = """{"end":{"sum_sent":{"bits_per_second":2.0e9,"retransmits":4},"sum_received":{"bits_per_second":1.5e9}}}""";

        Iperf3Result result = Iperf3.Parse(json, udp: false);

        Assert.Equal(1.5e9, result.BitsPerSecond);
        Assert.Equal(2.0e9, result.SentBitsPerSecond);
        Assert.Equal(4, result.Retransmits);
    }

    [Fact]
    public void Iperf3Parse_ErrorObject_Throws()
    {
        HarnessException e = Assert.Throws<HarnessException>(() => Iperf3.Parse("""{"start":{},"error":"unable to connect to server"}""", udp: false));
        Assert.Contains("unable to connect", e.Message);
    }

    private static void AddRecord(List<byte> file, uint seconds, uint micros, byte[] data)
    {
        byte[] record = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(record, seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), micros);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)data.Length);
        file.AddRange(record);
        file.AddRange(data);
    }
}
