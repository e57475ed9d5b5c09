using System.Text;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class XChaChaPolyTests
{
    // draft-irtf-cfrg-xchacha-03 §A.3.1 "Example and Test Vector for AEAD_XChaCha20_Poly1305".
    private static readonly byte[] Key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static readonly byte[] Nonce = Convert.FromHexString("404142434445464748494a4b4c4d4e4f5051525354555657");
    private static readonly byte[] Ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] Plaintext = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    private const string Ciphertext =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39" +
        "ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9" +
        "21f9664c97637da9768812f615c68b13b52e";
    private const string Tag = "c0875924c1c7987947deafd8780acf49";

    [Fact]
    public void Seal_DraftVector_CiphertextAndTagMatch()
    {
        var output = new byte[Plaintext.Length + XChaChaPoly.TagSize];
        XChaChaPoly.Seal(Key, Nonce, Plaintext, Ad, output);
        Assert.Equal(Ciphertext, Convert.ToHexStringLower(output.AsSpan(0, Plaintext.Length)));
        Assert.Equal(Tag, Convert.ToHexStringLower(output.AsSpan(Plaintext.Length)));
    }

    [Fact]
    public void Open_DraftVector_ReturnsPlaintext()
    {
        byte[] buffer = Convert.FromHexString(Ciphertext + Tag);
        Assert.True(XChaChaPoly.Open(Key, Nonce, buffer, Ad, buffer));
        Assert.Equal(Plaintext, buffer.AsSpan(0, Plaintext.Length).ToArray());
    }

    [Fact]
    public void Open_FlippedTagBit_ReturnsFalse()
    {
        byte[] buffer = Convert.FromHexString(Ciphertext + Tag);
        buffer[^1] ^= 0x80;
        Assert.False(XChaChaPoly.Open(Key, Nonce, buffer, Ad, new byte[Plaintext.Length]));
    }

    [Fact]
    public void Open_ShorterThanTag_ReturnsFalse()
    {
        Assert.False(XChaChaPoly.Open(Key, Nonce, new byte[15], Ad, new byte[16]));
    }

    [Fact]
    public void Seal_TwelveByteNonce_Throws()
    {
        Assert.Throws<ArgumentException>(() => XChaChaPoly.Seal(Key, new byte[12], Plaintext, Ad, new byte[Plaintext.Length + 16]));
    }
}
