using Overlay.Protocol.Crypto;

namespace Overlay.Cli.Tests;

public class KeyCommandTests
{
    [Fact]
    public void Genpsk_Prints64LowerHexAndDiffersEachRun()
    {
        var a = Harness.Cli("", "genpsk");
        var b = Harness.Cli("", "genpsk");
        Assert.Equal(0, a.Exit);
        Assert.Matches("^[0-9a-f]{64}\n$", a.Out);
        Assert.NotEqual(a.Out, b.Out);
    }

    [Fact]
    public void Genkey_PrintsClampedBase64Key()
    {
        var r = Harness.Cli("", "genkey");
        Assert.Equal(0, r.Exit);
        Assert.Matches("^[A-Za-z0-9+/]{43}=\n$", r.Out);
        byte[] key = Convert.FromBase64String(r.Out.Trim());
        Assert.Equal(32, key.Length);
        Assert.Equal(0, key[0] & 7);          // RFC 7748 §5 clamping
        Assert.Equal(0x40, key[31] & 0xC0);
    }

    // RFC 7748 §6.1: Alice's private key and public key.
    [Theory]
    [InlineData("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")]
    [InlineData("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")]
    public void Pubkey_Rfc7748Vector_MatchesPublicKey(string privHex, string pubHex)
    {
        string priv = Convert.ToBase64String(Convert.FromHexString(privHex));
        var r = Harness.Cli(priv + "\n", "pubkey");
        Assert.Equal(0, r.Exit);
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString(pubHex)) + "\n", r.Out);
    }

    [Fact]
    public void Pubkey_OfGenkey_EqualsX25519()
    {
        string priv = Harness.Cli("", "genkey").Out;
        string pub = Harness.Cli(priv, "pubkey").Out.Trim();
        var expected = new byte[32];
        X25519.DerivePublicKey(Convert.FromBase64String(priv.Trim()), expected);
        Assert.Equal(Convert.ToBase64String(expected), pub);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("AAAA")]
    public void Pubkey_BadInput_ExitsTwo(string input)
    {
        var r = Harness.Cli(input, "pubkey");
        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Contains("not a private key", r.Err);
    }
}
