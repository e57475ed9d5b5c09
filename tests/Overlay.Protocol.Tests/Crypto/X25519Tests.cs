using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class X25519Tests
{
    // RFC 7748 §6.1 Curve25519 Diffie-Hellman example.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string Shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Theory]
    [InlineData(AlicePrivate, AlicePublic)] // RFC 7748 §6.1 Alice
    [InlineData(BobPrivate, BobPublic)]     // RFC 7748 §6.1 Bob
    public void DerivePublicKey_Rfc7748Section61_Matches(string privateHex, string publicHex)
    {
        var publicKey = new byte[32];
        X25519.DerivePublicKey(Convert.FromHexString(privateHex), publicKey);
        Assert.Equal(publicHex, Convert.ToHexStringLower(publicKey));
    }

    [Theory]
    [InlineData(AlicePrivate, BobPublic)] // Alice's side
    [InlineData(BobPrivate, AlicePublic)] // Bob's side
    public void SharedSecret_Rfc7748Section61_BothSidesMatch(string privateHex, string peerPublicHex)
    {
        var shared = new byte[32];
        Assert.True(X25519.SharedSecret(Convert.FromHexString(privateHex), Convert.FromHexString(peerPublicHex), shared));
        Assert.Equal(Shared, Convert.ToHexStringLower(shared));
    }

    [Theory]
    // RFC 7748 §5.2 first test vector (scalar, u-coordinate, output u-coordinate).
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    // RFC 7748 §5.2 second test vector.
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void SharedSecret_Rfc7748Section52_Matches(string scalar, string u, string expected)
    {
        var output = new byte[32];
        Assert.True(X25519.SharedSecret(Convert.FromHexString(scalar), Convert.FromHexString(u), output));
        Assert.Equal(expected, Convert.ToHexStringLower(output));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")] // u = 0
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")] // u = 1, order 4
    public void SharedSecret_LowOrderPeerKey_ReturnsFalseAndZeroes(string peerPublicHex)
    {
        var shared = new byte[32];
        Array.Fill(shared, (byte)0xAA);
        Assert.False(X25519.SharedSecret(Convert.FromHexString(AlicePrivate), Convert.FromHexString(peerPublicHex), shared));
        Assert.All(shared, b => Assert.Equal(0, b));
    }

    [Fact]
    public void SharedSecret_OutputAliasesPrivateKey_StillCorrect()
    {
        byte[] buffer = Convert.FromHexString(AlicePrivate);
        Assert.True(X25519.SharedSecret(buffer, Convert.FromHexString(BobPublic), buffer));
        Assert.Equal(Shared, Convert.ToHexStringLower(buffer));
    }

    [Theory]
    // RFC 7748 §5 decodeScalar25519; WireGuard's wg(8) reads back "4a3a…93" as "483a…53" (reference/wireguard.md §1.2).
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000",
                "0000000000000000000000000000000000000000000000000000000000000040")]
    [InlineData("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
                "483acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4853")]
    public void Clamp_Key_ClearsLowBitsAndBit255SetsBit254(string input, string expected)
    {
        byte[] key = Convert.FromHexString(input);
        X25519.Clamp(key);
        Assert.Equal(expected, Convert.ToHexStringLower(key));
    }

    [Fact]
    public void GeneratePrivateKey_TwoCalls_ClampedAndDifferent()
    {
        var a = new byte[32];
        var b = new byte[32];
        X25519.GeneratePrivateKey(a);
        X25519.GeneratePrivateKey(b);
        Assert.NotEqual(a, b);
        Assert.Equal(0, a[0] & 7);
        Assert.Equal(64, a[31] & 0xC0);

        // Both generated keys agree on a shared secret.
        var pa = new byte[32];
        var pb = new byte[32];
        X25519.DerivePublicKey(a, pa);
        X25519.DerivePublicKey(b, pb);
        var sa = new byte[32];
        var sb = new byte[32];
        Assert.True(X25519.SharedSecret(a, pb, sa));
        Assert.True(X25519.SharedSecret(b, pa, sb));
        Assert.Equal(sa, sb);
    }

    [Fact]
    public void DerivePublicKey_ShortPrivateKey_Throws()
    {
        Assert.Throws<ArgumentException>(() => X25519.DerivePublicKey(new byte[31], new byte[32]));
    }
}
