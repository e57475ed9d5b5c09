using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

public class KeyEncodingTests
{
    [Theory]
    // 64 hex, either case
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", true)]
    [InlineData("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", true)]
    // the same 32 bytes as WireGuard base64
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true)]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", false)]   // 63
    [InlineData("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", false)]  // non-hex
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", false)]                      // 43
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH==", false)]                     // 31 bytes
    [InlineData("", false)]
    public void TryParsePsk_Forms_Accepted(string text, bool ok)
    {
        Assert.Equal(ok, KeyEncoding.TryParsePsk(text, out var key, out string error));
        if (ok)
        {
            Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i), key);
            Assert.Equal("", error);
        }
        else Assert.NotEmpty(error);
    }

    [Fact]
    public void FormatBase64Key_RoundTrips()
    {
        byte[] key = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        string text = KeyEncoding.FormatBase64Key(key);
        Assert.Equal(44, text.Length);
        Assert.True(KeyEncoding.TryParseBase64Key(text, out var back));
        Assert.Equal(key, back);
    }

    [Fact]
    public void FormatBase64Key_WrongLength_Throws() =>
        Assert.Throws<ArgumentException>(() => KeyEncoding.FormatBase64Key(new byte[31]));

    [Fact]
    public void ToHex_IsLowerCase() => Assert.Equal("00ff1a", KeyEncoding.ToHex([0, 255, 26]));

    [Fact]
    public void IsAllZero_DetectsZero()
    {
        Assert.True(KeyEncoding.IsAllZero(new byte[32]));
        var k = new byte[32]; k[31] = 1;
        Assert.False(KeyEncoding.IsAllZero(k));
    }
}
