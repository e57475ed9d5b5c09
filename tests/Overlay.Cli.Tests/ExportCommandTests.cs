using Overlay.Protocol.Config;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Noise;

namespace Overlay.Cli.Tests;

public class ExportCommandTests
{
    private static readonly HashSet<string> InterfaceKeys = ["PrivateKey", "Address", "MTU", "ListenPort"];
    private static readonly HashSet<string> PeerKeys = ["PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"];

    private static byte[] Key(string? b64)
    {
        Assert.NotNull(b64);
        byte[] k = Convert.FromBase64String(b64);
        Assert.Equal(32, k.Length);
        return k;
    }

    private static OverlayConfig Load(string example) =>
        ConfigLoader.LoadFile(Path.Combine(Harness.Examples, example), Overlay.Os.Node.RegularFileReader.Instance).Config!;

    private static (WgQuickParser.Section Iface, WgQuickParser.Section Peer) ParseTwoSections(string text)
    {
        var s = WgQuickParser.Parse(text);
        Assert.Equal(["Interface", "Peer"], s.Select(x => x.Name));
        Assert.All(s[0].Entries, e => Assert.Contains(e.Key, InterfaceKeys));
        Assert.All(s[1].Entries, e => Assert.Contains(e.Key, PeerKeys));
        return (s[0], s[1]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Export_HubSpoke_KeysMatchHubDerivation(int spokeId)
    {
        var hub = Load("hub.json");
        var r = Harness.Cli("", "export", "--config", hub.SourcePath, "--peer", spokeId.ToString(), "--endpoint", "198.19.0.1:51820");
        Assert.Equal(0, r.Exit);
        var (iface, peer) = ParseTwoSections(r.Out);
        var link = hub.FindPeer(spokeId)!;

        // The exported private key's public half is what the hub derives for this peer.
        var exportedPublic = new byte[32];
        X25519.DerivePublicKey(Key(iface.Get("PrivateKey")), exportedPublic);
        var hubView = new byte[32];
        PskIdentity.DeriveStaticPublic(link.Psk, (uint)spokeId, hub.LocalId, hubView);
        Assert.Equal(hubView, exportedPublic);

        // The hub public key is the hub's own derived key for this link.
        var hubPriv = new byte[32];
        PskIdentity.DeriveStaticPrivate(link.Psk, hub.LocalId, (uint)spokeId, hubPriv);
        var hubPub = new byte[32];
        X25519.DerivePublicKey(hubPriv, hubPub);
        Assert.Equal(hubPub, Key(peer.Get("PublicKey")));

        Assert.Equal(link.Psk, Key(peer.Get("PresharedKey")));
        Assert.Equal($"198.18.0.{spokeId}/32", iface.Get("Address"));
        Assert.Equal("1420", iface.Get("MTU"));
        Assert.Equal("198.19.0.1:51820", peer.Get("Endpoint"));
        Assert.StartsWith("198.18.0.0/24", peer.Get("AllowedIPs"));
        Assert.Equal("25", peer.Get("PersistentKeepalive"));
    }

    [Fact]
    public void Export_AllowedIps_IncludeOtherSpokesLans()
    {
        var r = Harness.Cli("", "export", "--config", Path.Combine(Harness.Examples, "hub.json"), "--peer", "3", "--endpoint", "198.19.0.1:51820");
        var (_, peer) = ParseTwoSections(r.Out);
        Assert.Equal("198.18.0.0/24, 198.18.2.0/24", peer.Get("AllowedIPs"));
    }

    [Fact]
    public void Export_WithoutEndpoint_PlaceholderAndNote()
    {
        var r = Harness.Cli("", "export", "--config", Path.Combine(Harness.Examples, "hub.json"), "--peer", "2");
        Assert.Equal(0, r.Exit);
        var (_, peer) = ParseTwoSections(r.Out);
        Assert.Equal("HUB_HOST:51820", peer.Get("Endpoint"));
        Assert.Contains("note: Endpoint uses the placeholder HUB_HOST", r.Err);
    }

    [Fact]
    public void Export_FromSpoke_HubSideMatchesSpokeDerivation()
    {
        var spoke = Load("spoke-linux.json");
        var r = Harness.Cli("", "export", "--config", spoke.SourcePath, "--peer", "1");
        Assert.Equal(0, r.Exit);
        var (iface, peer) = ParseTwoSections(r.Out);
        var psk = spoke.Peers[0].Psk;
        var exportedPublic = new byte[32];
        X25519.DerivePublicKey(Key(iface.Get("PrivateKey")), exportedPublic);
        var expected = new byte[32];
        PskIdentity.DeriveStaticPublic(psk, 1, 2, expected);
        Assert.Equal(expected, exportedPublic);
        PskIdentity.DeriveStaticPublic(psk, 2, 1, expected);
        Assert.Equal(expected, Key(peer.Get("PublicKey")));
        Assert.Equal("51820", iface.Get("ListenPort"));
        Assert.Equal("198.18.0.2/32, 198.18.2.0/24", peer.Get("AllowedIPs"));
        Assert.Null(peer.Get("Endpoint"));
    }

    [Fact]
    public void Export_ExplicitKeyPeer_HubExplicitPublicAndNoPrivateKey()
    {
        var cfg = Load("explicit-key-peer.json");
        var r = Harness.Cli("", "export", "--config", cfg.SourcePath, "--peer", "10", "--endpoint", "198.19.0.1:51820");
        Assert.Equal(0, r.Exit);
        var (iface, peer) = ParseTwoSections(r.Out);
        Assert.Null(iface.Get("PrivateKey"));
        Assert.Contains("# PrivateKey = <the private key of mny2+fEhJjO+u8xyHuQK+3/t6NX/L8CxgWTpph+Jjl0=>", r.Out);
        var hubPub = new byte[32];
        X25519.DerivePublicKey(cfg.PrivateKey!, hubPub);
        Assert.Equal(hubPub, Key(peer.Get("PublicKey")));
        Assert.Equal("nw9hHTxMgmleKZc23nzyCijpKVFzjRRwnhuPA/w1JBQ=", peer.Get("PublicKey")); // `wg pubkey` of the example's private_key
        Assert.Contains("uses an explicit key", r.Err);
    }

    [Fact]
    public void Export_PskPeerOnExplicitHub_UsesDerivedKeys()
    {
        var cfg = Load("explicit-key-peer.json");
        var r = Harness.Cli("", "export", "--config", cfg.SourcePath, "--peer", "11", "--endpoint", "198.19.0.1:51820");
        var (iface, peer) = ParseTwoSections(r.Out);
        var pub = new byte[32];
        PskIdentity.DeriveStaticPublic(cfg.FindPeer(11)!.Psk, 1, 11, pub);
        Assert.Equal(pub, Key(peer.Get("PublicKey")));
        Assert.NotNull(iface.Get("PrivateKey"));
    }

    [Theory]
    [InlineData("--peer", "99")]
    [InlineData("--peer", "3", "--endpoint", "nohost")]
    public void Export_BadRequest_ExitsTwo(params string[] extra)
    {
        var r = Harness.Cli("", ["export", "--config", Path.Combine(Harness.Examples, "hub.json"), .. extra]);
        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.StartsWith("subnetra export: ", r.Err);
    }

    [Fact]
    public void Export_MissingPeerOption_ExitsTwo()
    {
        var r = Harness.Cli("", "export", "--config", Path.Combine(Harness.Examples, "hub.json"));
        Assert.Equal(2, r.Exit);
        Assert.Contains("--peer", r.Err);
    }

    [Fact]
    public void Parser_RejectsGarbage() => Assert.Throws<FormatException>(() => WgQuickParser.Parse("[Interface]\nPrivateKey\n"));
}
