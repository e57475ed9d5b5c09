using System.Net;
using Overlay.Os.Uapi;
using Overlay.Protocol;

namespace Overlay.Os.Tests.Uapi;

/// <summary>One test per set key and per error of reference/wireguard.md §4.4-§4.5 (wireguard-go's handleDeviceLine/handlePeerLine).</summary>
public sealed class UapiSetParserTests
{
    private static readonly string KeyA = new('a', 64);
    private static readonly string KeyB = new('b', 64);

    /// <summary>The lines as a set body arrives (each ended by '\n'); test text only, the parser itself takes bytes.</summary>
    internal static byte[] Body(params string[] lines) => System.Text.Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l + "\n")));

    private static UapiSetRequest Parse(params string[] lines)
    {
        Assert.True(UapiSetParser.TryParse(Body(lines), [], out UapiSetRequest r, out int errno, out string error), $"errno {errno}: {error}");
        return r;
    }

    private static (int Errno, string Error) Refuse(params string[] lines)
    {
        Assert.False(UapiSetParser.TryParse(Body(lines), [], out _, out int errno, out string error));
        return (errno, error);
    }

    [Fact]
    public void TryParse_PrivateKey_Kept()
    {
        UapiSetRequest r = Parse($"private_key={KeyA}");
        Assert.Equal(Enumerable.Repeat((byte)0xaa, 32), r.PrivateKey);
    }

    [Fact]
    public void TryParse_ListenPortAndFwmark_Parsed()
    {
        UapiSetRequest r = Parse("listen_port=51820", "fwmark=4660");
        Assert.Equal(51820, r.ListenPort);
        Assert.Equal(4660u, r.Fwmark);
    }

    [Fact]
    public void TryParse_EmptyFwmark_ClearsIt()
    {
        Assert.Equal(0u, Parse("fwmark=").Fwmark);
    }

    [Fact]
    public void TryParse_ReplacePeers_Flag()
    {
        Assert.True(Parse("replace_peers=true").ReplacePeers);
    }

    [Fact]
    public void TryParse_FullPeerSection_EveryKey()
    {
        UapiSetRequest r = Parse(
            $"public_key={KeyA}", "update_only=true", $"preshared_key={KeyB}", "endpoint=[2001:2::1]:51820",
            "persistent_keepalive_interval=25", "replace_allowed_ips=true", "allowed_ip=198.18.1.7/24",
            "allowed_ip=-2001:2::/64", "protocol_version=1");
        UapiPeerChange p = Assert.Single(r.Peers);
        Assert.True(p.UpdateOnly);
        Assert.Equal(Enumerable.Repeat((byte)0xbb, 32), p.PresharedKey);
        Assert.Equal("[2001:2::1]:51820", p.Endpoint!.Value.ToString());
        Assert.Equal(25, p.PersistentKeepaliveInterval);
        Assert.True(p.ReplaceAllowedIps);
        // Masked as wireguard-go stores prefix.Masked().
        Assert.Equal(new UapiAllowedIpChange(IPNetwork.Parse("198.18.1.0/24"), false), p.AllowedIps[0]);
        Assert.Equal(new UapiAllowedIpChange(IPNetwork.Parse("2001:2::/64"), true), p.AllowedIps[1]);
    }

    [Fact]
    public void TryParse_Remove_Flag()
    {
        Assert.True(Assert.Single(Parse($"public_key={KeyA}", "remove=true").Peers).Remove);
    }

    [Fact]
    public void TryParse_TwoSections_InOrder()
    {
        UapiSetRequest r = Parse($"public_key={KeyA}", "allowed_ip=198.18.0.0/16", $"public_key={KeyB}", "allowed_ip=198.18.1.0/24");
        Assert.Equal(2, r.Peers.Count);
        Assert.Equal(0xbb, r.Peers[1].PublicKey[0]);
    }

    [Fact]
    public void TryParse_OwnPublicKey_SectionDropped()
    {
        byte[] sk = Enumerable.Repeat((byte)0x11, 32).ToArray();
        var id = new Overlay.Protocol.Engine.LocalIdentity(sk);
        string own = Convert.ToHexStringLower(id.PublicKey);
        Assert.True(UapiSetParser.TryParse(Body($"private_key={Convert.ToHexStringLower(sk)}", $"public_key={own}", "allowed_ip=198.18.0.0/16"),
            [], out UapiSetRequest r, out _, out _));
        Assert.Empty(r.Peers);
    }

    [Fact]
    public void TryParse_OwnPublicKeyWithPresharedKey_DroppedPskZeroedOnDispose()
    {
        byte[] sk = Enumerable.Repeat((byte)0x11, 32).ToArray();
        var id = new Overlay.Protocol.Engine.LocalIdentity(sk);
        string own = Convert.ToHexStringLower(id.PublicKey);
        Assert.True(UapiSetParser.TryParse(Body($"private_key={Convert.ToHexStringLower(sk)}", $"public_key={own}", $"preshared_key={KeyB}"),
            [], out UapiSetRequest r, out _, out _));
        Assert.Empty(r.Peers);
        byte[] psk = Assert.Single(r.Dropped).PresharedKey!;
        Assert.Equal(Enumerable.Repeat((byte)0xbb, 32), psk);
        r.Dispose();
        Assert.All(psk, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryParse_PresharedKeyGivenTwice_LastKept()
    {
        // The first buffer is zeroed when replaced (not observable from here: it is no longer referenced).
        using UapiSetRequest r = Parse($"public_key={KeyA}", $"preshared_key={KeyB}", $"preshared_key={new string('c', 64)}");
        Assert.Equal(Enumerable.Repeat((byte)0xcc, 32), r.Peers[0].PresharedKey);
    }

    [Theory]
    [InlineData("no equals sign")]
    [InlineData("=value")]
    public void TryParse_NotKeyValue_Eproto(string line)
    {
        Assert.Equal(UapiErrno.EPROTO, Refuse(line).Errno);
    }

    [Theory]
    [InlineData("private_key=abcd")]
    [InlineData("listen_port=65536")]
    [InlineData("listen_port=-1")]
    [InlineData("fwmark=x")]
    [InlineData("replace_peers=false")]
    [InlineData("bogus=1")]
    [InlineData("endpoint=198.18.0.1:1")]
    public void TryParse_BadDeviceLine_Einval(string line)
    {
        (int errno, string error) = Refuse(line);
        Assert.Equal(UapiErrno.EINVAL, errno);
        Assert.StartsWith("line 1:", error);
    }

    [Theory]
    [InlineData("update_only=false")]
    [InlineData("remove=1")]
    [InlineData("preshared_key=00")]
    [InlineData("endpoint=198.18.0.1")]
    [InlineData("endpoint=2001:2::1:51820")]
    [InlineData("endpoint=198.18.0.1:0")]
    [InlineData("endpoint=host.example:51820")]
    [InlineData("persistent_keepalive_interval=65536")]
    [InlineData("replace_allowed_ips=yes")]
    [InlineData("allowed_ip=198.18.0.1")]
    [InlineData("allowed_ip=198.18.0.1/33")]
    [InlineData("allowed_ip=2001:2::/129")]
    [InlineData("protocol_version=2")]
    [InlineData("listen_port=1")]
    public void TryParse_BadPeerLine_Einval(string line)
    {
        (int errno, string error) = Refuse($"public_key={KeyA}", line);
        Assert.Equal(UapiErrno.EINVAL, errno);
        Assert.StartsWith("line 2:", error);
    }

    [Fact]
    public void TryParse_BadPublicKey_Einval()
    {
        Assert.Equal(UapiErrno.EINVAL, Refuse("public_key=zz").Errno);
    }

    [Fact]
    public void TryEndpoint_MappedV4_StoredAsV4()
    {
        Assert.True(UapiSetParser.TryEndpoint("[::ffff:198.18.0.1]:51820", out UdpEndpoint ep));
        Assert.True(ep.IsV4);
    }

    /// <summary>
    /// Issue 15: keys on the set path never become strings. By structure: the parser's only entry
    /// takes the received bytes; no overload takes text lines a caller would have had to make.
    /// </summary>
    [Fact]
    public void TryParse_Api_TakesBytesNeverStrings()
    {
        var entries = typeof(UapiSetParser).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(m => m.Name == nameof(UapiSetParser.TryParse)).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, m => Assert.Equal(typeof(ReadOnlySpan<byte>), m.GetParameters()[0].ParameterType));
    }

    [Fact]
    public void TryParse_KeysFromBytes_DecodedIntoRequestBuffersZeroedOnDispose()
    {
        byte[] body = Body($"private_key={KeyA}", $"public_key={KeyB}", "preshared_key=" + new string('C', 64), "allowed_ip=198.18.0.1/32");
        Assert.True(UapiSetParser.TryParse(body, [], out UapiSetRequest r, out _, out _));
        byte[] sk = r.PrivateKey!, psk = r.Peers[0].PresharedKey!;
        Assert.Equal(Enumerable.Repeat((byte)0xaa, 32), sk);
        Assert.Equal(Enumerable.Repeat((byte)0xcc, 32), psk);   // upper-case hex too, as wireguard-go's hex.Decode

        r.Dispose();

        Assert.All(sk, b => Assert.Equal(0, b));
        Assert.All(psk, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryParse_BadPresharedKey_EinvalMessageWithoutTheValue()
    {
        string almost = new string('d', 63) + "x";
        (int errno, string error) = Refuse($"public_key={KeyA}", $"preshared_key={almost}");
        Assert.Equal(UapiErrno.EINVAL, errno);
        Assert.DoesNotContain("ddd", error);
    }

    [Fact]
    public void TryParse_CrLfLines_Accepted()
    {
        Assert.True(UapiSetParser.TryParse("listen_port=51820\r\nfwmark=3\r\n"u8, [], out UapiSetRequest r, out _, out string error), error);
        Assert.Equal(51820, r.ListenPort);
        Assert.Equal(3u, r.Fwmark);
    }
}
