using System.Buffers.Binary;
using System.Text;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class ChaChaPolyTests
{
    // RFC 8439 §2.8.2 "Example and Test Vector for AEAD_CHACHA20_POLY1305".
    private static readonly byte[] Key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static readonly byte[] Nonce = Convert.FromHexString("070000004041424344454647");
    private static readonly byte[] Ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] Plaintext = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    private const string Ciphertext =
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
        "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
        "3ff4def08e4b7a9de576d26586cec64b6116";
    private const string Tag = "1ae10b594f09e26a7e902ecbd0600691";

    [Fact]
    public void Seal_Rfc8439Vector_CiphertextAndTagMatch()
    {
        var output = new byte[Plaintext.Length + ChaChaPoly.TagSize];
        ChaChaPoly.Seal(Key, Nonce, Plaintext, Ad, output);
        Assert.Equal(Ciphertext + Tag, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Seal_InPlace_MatchesRfc8439Vector()
    {
        var buffer = new byte[Plaintext.Length + ChaChaPoly.TagSize];
        Plaintext.CopyTo(buffer, 0);
        ChaChaPoly.Seal(Key, Nonce, buffer.AsSpan(0, Plaintext.Length), Ad, buffer);
        Assert.Equal(Ciphertext + Tag, Convert.ToHexStringLower(buffer));
    }

    [Fact]
    public void Open_Rfc8439Vector_ReturnsPlaintext()
    {
        byte[] sealedBytes = Convert.FromHexString(Ciphertext + Tag);
        var output = new byte[Plaintext.Length];
        Assert.True(ChaChaPoly.Open(Key, Nonce, sealedBytes, Ad, output));
        Assert.Equal(Plaintext, output);
    }

    [Fact]
    public void Open_InPlace_ReturnsPlaintext()
    {
        byte[] buffer = Convert.FromHexString(Ciphertext + Tag);
        Assert.True(ChaChaPoly.Open(Key, Nonce, buffer, Ad, buffer));
        Assert.Equal(Plaintext, buffer.AsSpan(0, Plaintext.Length).ToArray());
    }

    [Theory]
    [InlineData(0)]   // first ciphertext byte
    [InlineData(113)] // first tag byte
    [InlineData(129)] // last tag byte
    public void Open_FlippedBit_ReturnsFalse(int index)
    {
        byte[] buffer = Convert.FromHexString(Ciphertext + Tag);
        buffer[index] ^= 0x01;
        var output = new byte[Plaintext.Length];
        Assert.False(ChaChaPoly.Open(Key, Nonce, buffer, Ad, output));
    }

    [Fact]
    public void Open_WrongAd_ReturnsFalse()
    {
        byte[] buffer = Convert.FromHexString(Ciphertext + Tag);
        var output = new byte[Plaintext.Length];
        Assert.False(ChaChaPoly.Open(Key, Nonce, buffer, Ad.AsSpan(1), output));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    public void Open_ShorterThanTag_ReturnsFalse(int length)
    {
        Assert.False(ChaChaPoly.Open(Key, Nonce, new byte[length], default, new byte[16]));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0x0123456789abcdefUL)]
    [InlineData(ulong.MaxValue)]
    public void Seal_Counter_EqualsExplicitWireGuardNonce(ulong counter)
    {
        // WireGuard whitepaper §5.4: nonce = 32 zero bits || 64-bit little-endian counter.
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce.AsSpan(4), counter);
        var expected = new byte[Plaintext.Length + 16];
        ChaChaPoly.Seal(Key, nonce, Plaintext, Ad, expected);

        var actual = new byte[Plaintext.Length + 16];
        ChaChaPoly.Seal(Key, counter, Plaintext, Ad, actual);
        Assert.Equal(expected, actual);

        var opened = new byte[Plaintext.Length];
        Assert.True(ChaChaPoly.Open(Key, counter, actual, Ad, opened));
        Assert.Equal(Plaintext, opened);
        Assert.False(ChaChaPoly.Open(Key, counter ^ 1, actual, Ad, opened));
    }

    [Fact]
    public void Seal_CounterVector_MatchesPythonCryptography()
    {
        // Python cryptography ChaCha20Poly1305(key).encrypt(bytes(4) + (0x0123456789abcdef).to_bytes(8, "little"), pt, ad)[-16:].
        var output = new byte[Plaintext.Length + 16];
        ChaChaPoly.Seal(Key, 0x0123456789abcdefUL, Plaintext, Ad, output);
        Assert.Equal("f66aaf8d57fc6ea87bbc4e7c66b35679", Convert.ToHexStringLower(output.AsSpan(Plaintext.Length)));
    }

    [Fact]
    public void SealOpen_EmptyPlaintext_TagOnlyRoundTrips()
    {
        // A WireGuard keepalive is an empty plaintext: 16 bytes of tag on the wire.
        var sealedBytes = new byte[16];
        ChaChaPoly.Seal(Key, 7UL, ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, sealedBytes);
        Assert.True(ChaChaPoly.Open(Key, 7UL, sealedBytes, ReadOnlySpan<byte>.Empty, Span<byte>.Empty));
        Assert.False(ChaChaPoly.Open(Key, 8UL, sealedBytes, ReadOnlySpan<byte>.Empty, Span<byte>.Empty));
    }

    [Fact]
    public void Seal_DestinationTooSmall_Throws()
    {
        Assert.Throws<ArgumentException>(() => ChaChaPoly.Seal(Key, 0UL, Plaintext, Ad, new byte[Plaintext.Length + 15]));
    }

    [Fact]
    public void Seal_ShiftedOverlap_Throws()
    {
        var buffer = new byte[Plaintext.Length + 17];
        Assert.Throws<ArgumentException>(() =>
            ChaChaPoly.Seal(Key, 0UL, buffer.AsSpan(0, Plaintext.Length), Ad, buffer.AsSpan(1)));
    }

    [Fact]
    public void Seal_WrongKeySize_Throws()
    {
        Assert.Throws<ArgumentException>(() => ChaChaPoly.Seal(Key.AsSpan(1), 0UL, Plaintext, Ad, new byte[Plaintext.Length + 16]));
    }

    [Fact]
    public void SealOpen_CounterInPlace_AllocatesNothing()
    {
        // The data path seals and opens every packet in place; it must not allocate (STYLE.md "Hot path").
        var packet = new byte[1420 + ChaChaPoly.TagSize];
        ChaChaPoly.Seal(Key, 0UL, packet.AsSpan(0, 1420), default, packet);
        Assert.True(ChaChaPoly.Open(Key, 0UL, packet, default, packet));

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool allOpened = true;
        for (ulong counter = 1; counter <= 1000; counter++)
        {
            ChaChaPoly.Seal(Key, counter, packet.AsSpan(0, 1420), default, packet);
            allOpened &= ChaChaPoly.Open(Key, counter, packet, default, packet);
        }

        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(allOpened);
        Assert.Equal(0, after - before);
    }
}
