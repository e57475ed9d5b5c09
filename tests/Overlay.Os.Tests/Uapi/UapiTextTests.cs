using System.Net;
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
                AllowedIps = [IPNetwork.Parse("198.19.0.2/32"), IPNetwork.Parse("198.19.2.0/24")],
            },
            new UapiPeer
            {
                PublicKey = Key(0xcd),
                PresharedKey = new byte[32],
                Endpoint = null,
                LastHandshake = null,
                AllowedIps = [IPNetwork.Parse("198.19.0.3/32")],
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

    /// <summary>Records each write and what the reply buffer looked like right after it (zeroed or not).</summary>
    private sealed class ChunkRecorder(SecretReplyBuffer reply) : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Writes.Add(buffer.Length);
            Assert.Same(reply.Array, System.Runtime.InteropServices.MemoryMarshal.TryGetArray(buffer, out ArraySegment<byte> seg) ? seg.Array : null);
            return base.WriteAsync(buffer, ct);
        }
    }

    [Fact]
    public async Task WriteGetAsync_130560AllowedIps_StreamedInBoundedChunksSameTextBufferZeroed()
    {
        var peers = new List<UapiPeer>();
        for (int p = 0; p < 4; p++)
        {
            var allowed = new IPNetwork[130_560 / 4];
            for (int i = 0; i < allowed.Length; i++)
            {
                int n = p * allowed.Length + i;
                allowed[i] = n % 2 == 0
                    ? new IPNetwork(new IPAddress([198, (byte)(18 + (n >> 16 & 1)), (byte)(n >> 8), (byte)n]), 32)
                    : IPNetwork.Parse($"2001:2::{n >> 16:x}:{n & 0xffff:x}/128");
            }
            peers.Add(new UapiPeer { PublicKey = Key((byte)(p + 1)), PresharedKey = Key(0x55), AllowedIps = allowed });
        }
        var device = new UapiDevice { PrivateKey = Key(0x07), ListenPort = 51820, Peers = peers };
        string whole = Format(device);

        var reply = new SecretReplyBuffer(UapiText.ChunkBytes + 1024);
        var stream = new ChunkRecorder(reply);
        await UapiText.WriteGetAsync(device, reply, stream, default);

        Assert.Equal(whole, System.Text.Encoding.ASCII.GetString(stream.ToArray()));
        Assert.True(stream.Writes.Count > 40, $"{stream.Writes.Count} writes");
        // A chunk is cut at the first line that reaches ChunkBytes: never more than one line past it.
        Assert.All(stream.Writes, n => Assert.InRange(n, 1, UapiText.ChunkBytes + 256));
        Assert.Equal(130_560, whole.Split('\n').Count(l => l.StartsWith("allowed_ip=", StringComparison.Ordinal)));
        // Each chunk is zeroed once written: after the last one the buffer holds nothing.
        Assert.Equal(0, reply.Length);
        Assert.All(reply.Array, b => Assert.Equal(0, b));
        reply.Dispose();
    }

    [Fact]
    public void SecretReplyBuffer_Clear_ZeroesWhatWasWrittenAndKeepsTheArray()
    {
        using var reply = new SecretReplyBuffer();
        reply.AppendHex(Key(0x3c));
        byte[] array = reply.Array;
        reply.Clear();
        Assert.Same(array, reply.Array);
        Assert.Equal(0, reply.Length);
        Assert.All(array, b => Assert.Equal(0, b));
    }
}
