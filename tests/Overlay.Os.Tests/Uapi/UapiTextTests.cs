using Overlay.Os.Uapi;

namespace Overlay.Os.Tests.Uapi;

public sealed class UapiTextTests
{
    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    /// <summary>The reply as text (tests only: production never turns it into a string).</summary>
    internal static string Format(UapiDevice device)
    {
        using var reply = new SecretReplyBuffer();
        UapiText.FormatGet(device, reply);
        return reply.ToString();
    }

    private static UapiDevice Sample(byte[]? privateKey) => new()
    {
        PrivateKey = privateKey,
        ListenPort = 51820,
        Peers =
        [
            new UapiPeer
            {
                PublicKey = Key(0xab),
                PresharedKey = Key(0x01),
                Endpoint = "198.18.1.2:41000",
                // 1700000000.1234567 s: nsec keeps the 100 ns tick resolution.
                LastHandshake = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_567),
                TxBytes = 1234,
                RxBytes = 5678,
                PersistentKeepaliveInterval = 25,
                AllowedIps = ["198.19.0.2/32", "198.19.2.0/24"],
            },
            new UapiPeer
            {
                PublicKey = Key(0xcd),
                PresharedKey = new byte[32],
                Endpoint = null,
                LastHandshake = null,
                AllowedIps = ["198.19.0.3/32"],
            },
        ],
    };

    /// <summary>Field order and formats as wireguard-go's IpcGetOperation (reference/wireguard.md §4.3 transcript).</summary>
    [Fact]
    public void FormatGet_TwoPeers_WireguardGoOrderAndFormat()
    {
        string expected =
            "private_key=" + string.Concat(Enumerable.Repeat("07", 32)) + "\n" +
            "listen_port=51820\n" +
            "public_key=" + string.Concat(Enumerable.Repeat("ab", 32)) + "\n" +
            "preshared_key=" + string.Concat(Enumerable.Repeat("01", 32)) + "\n" +
            "protocol_version=1\n" +
            "endpoint=198.18.1.2:41000\n" +
            "last_handshake_time_sec=1700000000\n" +
            "last_handshake_time_nsec=123456700\n" +
            "tx_bytes=1234\n" +
            "rx_bytes=5678\n" +
            "persistent_keepalive_interval=25\n" +
            "allowed_ip=198.19.0.2/32\n" +
            "allowed_ip=198.19.2.0/24\n" +
            "public_key=" + string.Concat(Enumerable.Repeat("cd", 32)) + "\n" +
            "preshared_key=" + new string('0', 64) + "\n" +
            "protocol_version=1\n" +
            "last_handshake_time_sec=0\n" +
            "last_handshake_time_nsec=0\n" +
            "tx_bytes=0\n" +
            "rx_bytes=0\n" +
            "persistent_keepalive_interval=0\n" +
            "allowed_ip=198.19.0.3/32\n" +
            "errno=0\n" +
            "\n";
        Assert.Equal(expected, UapiTextTests.Format(Sample(Key(0x07))));
    }

    [Fact]
    public void FormatGet_NoPrivateKey_StartsWithListenPort()
    {
        string text = UapiTextTests.Format(Sample(null));
        Assert.StartsWith("listen_port=51820\npublic_key=", text);
        Assert.DoesNotContain("private_key", text);
    }

    [Fact]
    public void FormatGet_ZeroPrivateKeyAndPort_Omitted()
    {
        var device = new UapiDevice { PrivateKey = new byte[32], ListenPort = 0 };
        Assert.Equal("errno=0\n\n", UapiTextTests.Format(device));
    }

    [Fact]
    public void FormatGet_IPv6Endpoint_Bracketed()
    {
        var device = new UapiDevice
        {
            Peers = [new UapiPeer { PublicKey = Key(1), PresharedKey = Key(2), Endpoint = "[2001:db8::1]:51820" }],
        };
        Assert.Contains("\nendpoint=[2001:db8::1]:51820\n", UapiTextTests.Format(device));
    }

    [Fact]
    public void SetError_Eperm_NegativeLikeWireguardGo()
    {
        Assert.Equal("errno=-1\n\n", UapiText.SetError(UapiText.EPERM));
    }

    [Fact]
    public void GetError_Eio_PositiveBecauseWgNegatesIt()
    {
        Assert.Equal("errno=5\n\n", UapiText.GetError(UapiText.EIO));
    }

    [Fact]
    public void Dispose_Device_ZeroesKeys()
    {
        UapiDevice device = Sample(Key(0x07));
        device.Dispose();
        Assert.All(device.PrivateKey!, b => Assert.Equal(0, b));
        Assert.All(device.Peers, p => Assert.All(p.PresharedKey, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void SecretReplyBuffer_Dispose_ZeroesTheRentedArray()
    {
        var reply = new SecretReplyBuffer();
        UapiText.FormatGet(Sample(Key(0x07)), reply);
        byte[] array = reply.Array;
        Assert.Contains("private_key=0707", System.Text.Encoding.ASCII.GetString(array, 0, reply.Length));
        reply.Dispose();
        Assert.All(array, b => Assert.Equal(0, b));
        Assert.Equal(0, reply.Length);
    }

    [Fact]
    public void SecretReplyBuffer_Grow_ZeroesTheOutgrownArray()
    {
        using var reply = new SecretReplyBuffer(16);
        reply.AppendHex(Key(0x5a));          // 64 bytes: outgrows the first array
        byte[] first = reply.Array;
        reply.Append(new string('x', first.Length));   // outgrow again
        Assert.NotSame(first, reply.Array);
        Assert.All(first, b => Assert.Equal(0, b));
        Assert.StartsWith("5a5a5a", reply.ToString());
    }

    [Fact]
    public void SecretReplyBuffer_AppendHex_LowercaseLikeKeyEncoding()
    {
        using var reply = new SecretReplyBuffer();
        byte[] key = Enumerable.Range(0, 32).Select(i => (byte)(i * 8 + 3)).ToArray();
        reply.AppendHex(key);
        Assert.Equal(Overlay.Protocol.Config.KeyEncoding.ToHex(key), reply.ToString());
    }

    [Fact]
    public void FormatGet_ManyPeers_SameTextAsOnePeerRepeated()
    {
        UapiDevice one = Sample(Key(0x07));
        var peers = Enumerable.Repeat(one.Peers[0], 200).ToList();
        string text = Format(new UapiDevice { PrivateKey = Key(0x07), ListenPort = 51820, Peers = peers });
        string section = Format(new UapiDevice { Peers = [one.Peers[0]] }).Replace("errno=0\n\n", "");
        Assert.Equal(200, text.Split("public_key=").Length - 1);
        Assert.EndsWith(section + "errno=0\n\n", text);
    }
}
