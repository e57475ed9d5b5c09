using System.Text;
using Overlay.Protocol.Crypto;
using Overlay.Tests.Fakes;

namespace Overlay.Protocol.Tests.Crypto;

/// <summary>
/// The direct OpenSSL 3 EVP binding (issue 14): RFC vector, agreement with libsodium at every transport
/// size, in place, forgeries, dispose, allocations. Both tag access paths (ctrl and prebuilt OSSL_PARAMs)
/// run every check, since the bench picks between them by cost, not by correctness.
/// </summary>
public class EvpChaChaPolyTests
{
    // RFC 8439 §2.8.2 "Example and Test Vector for AEAD_CHACHA20_POLY1305". Its nonce (07000000 ‖ 40..47)
    // is not WireGuard's (zero ‖ little-endian counter), so it is passed as raw nonce bytes here; the
    // counter layout is covered by the libsodium cross-check below.
    private static readonly byte[] Key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static readonly byte[] Nonce = Convert.FromHexString("070000004041424344454647");
    private static readonly byte[] Ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] Plaintext = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    private const string CiphertextAndTag =
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
        "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
        "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691";

    // true: EVP_CIPHER_CTX_ctrl for the tag; false: prebuilt OSSL_PARAMs (the default). xUnit needs public parameter types.
    public static TheoryData<bool> Modes => new() { false, true };

    private static EvpChaChaPoly.TagAccess Mode(bool ctrl) => ctrl ? EvpChaChaPoly.TagAccess.Ctrl : EvpChaChaPoly.TagAccess.Params;

    // Where libcrypto.so.3 is missing (macOS, other libcs) the binding reports unavailable and these tests do nothing.
    private static bool Here => EvpChaChaPoly.IsAvailable;

    [Fact]
    public void IsAvailable_LinuxWithOpenSsl3_True()
    {
        bool libcrypto3 = OperatingSystem.IsLinux() && System.Runtime.InteropServices.NativeLibrary.TryLoad("libcrypto.so.3", out _);
        Assert.Equal(libcrypto3, EvpChaChaPoly.IsAvailable);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Seal_Rfc8439Vector_CiphertextAndTagMatch(bool ctrl)
    {
        if (!Here) return;
        using var aead = new EvpChaChaPoly(Key, Mode(ctrl));
        var output = new byte[Plaintext.Length + 16];

        aead.Seal(Nonce, Plaintext, Ad, output);

        Assert.Equal(CiphertextAndTag, Convert.ToHexStringLower(output));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Open_Rfc8439VectorInPlace_ReturnsPlaintext(bool ctrl)
    {
        if (!Here) return;
        using var aead = new EvpChaChaPoly(Key, Mode(ctrl));
        byte[] buffer = Convert.FromHexString(CiphertextAndTag);

        Assert.True(aead.Open(Nonce, buffer, Ad, buffer.AsSpan(0, Plaintext.Length)));

        Assert.Equal(Plaintext, buffer[..Plaintext.Length]);
    }

    /// <summary>Every length a transport message can have up to 2,000 bytes, random keys and counters, WireGuard's counter nonce, no AD: same bytes as libsodium, and each opens the other's.</summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void SealOpen_AllSizesTo2000_AgreeWithLibsodium(bool ctrl)
    {
        if (!Here) return;
        var random = new Random(14);
        var key = new byte[32];
        var nonce = new byte[12];
        var plain = new byte[2000];
        var expected = new byte[2016];
        var actual = new byte[2016];
        var back = new byte[2000];
        for (int length = 0; length <= 2000; length++)
        {
            if (length % 100 == 0) random.NextBytes(key);
            ulong counter = (ulong)random.NextInt64() * 2 + (ulong)(length & 1);
            random.NextBytes(plain.AsSpan(0, length));
            ChaChaPoly.WriteCounterNonce(counter, nonce);
            using var aead = new EvpChaChaPoly(key, Mode(ctrl));

            ChaChaPoly.Seal(key, counter, plain.AsSpan(0, length), default, expected.AsSpan(0, length + 16));
            aead.Seal(nonce, plain.AsSpan(0, length), default, actual.AsSpan(0, length + 16));

            Assert.True(expected.AsSpan(0, length + 16).SequenceEqual(actual.AsSpan(0, length + 16)), $"seal differs at {length} bytes");
            Assert.True(aead.Open(nonce, expected.AsSpan(0, length + 16), default, back.AsSpan(0, length)), $"open failed at {length} bytes");
            Assert.True(plain.AsSpan(0, length).SequenceEqual(back.AsSpan(0, length)), $"plaintext differs at {length} bytes");
            Assert.True(ChaChaPoly.Open(key, counter, actual.AsSpan(0, length + 16), default, back.AsSpan(0, length)));
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void SealOpen_InPlace_RoundTripsAndMatchesOutOfPlace(bool ctrl)
    {
        if (!Here) return;
        using var aead = new EvpChaChaPoly(Key, Mode(ctrl));
        var nonce = new byte[12];
        ChaChaPoly.WriteCounterNonce(5, nonce);
        byte[] plain = Encoding.ASCII.GetBytes(new string('x', 1420));
        var outOfPlace = new byte[1436];
        aead.Seal(nonce, plain, default, outOfPlace);
        var frame = new byte[1436];
        plain.CopyTo(frame, 0);

        aead.Seal(nonce, frame.AsSpan(0, 1420), default, frame);
        Assert.Equal(outOfPlace, frame);
        Assert.True(aead.Open(nonce, frame, default, frame.AsSpan(0, 1420)));

        Assert.Equal(plain, frame[..1420]);
    }

    /// <summary>A forged tag or ciphertext is a false return, not an exception; it leaves no error queued and the key keeps working.</summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void Open_Tampered_FalseNoQueuedErrorAndKeyStillOpens(bool ctrl)
    {
        if (!Here) return;
        using var aead = new EvpChaChaPoly(Key, Mode(ctrl));
        var nonce = new byte[12];
        ChaChaPoly.WriteCounterNonce(9, nonce);
        byte[] plain = new byte[1420];
        plain.AsSpan().Fill(0x5a);
        var good = new byte[1436];
        aead.Seal(nonce, plain, default, good);
        var back = new byte[1420];

        foreach (int index in new[] { 0, 700, 1419, 1420, 1435 })
        {
            var forged = (byte[])good.Clone();
            forged[index] ^= 1;
            for (int i = 0; i < 100; i++)
                Assert.False(aead.Open(nonce, forged, default, back));
        }
        Assert.Equal(0u, (uint)Interop.LibCrypto.ERR_peek_error());
        Assert.False(aead.Open(nonce, good.AsSpan(0, 15), default, back));   // shorter than a tag

        Assert.True(aead.Open(nonce, good, default, back));
        Assert.Equal(plain, back);
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        if (!Here) return;
        var aead = new EvpChaChaPoly(Key);
        var nonce = new byte[12];
        var buffer = new byte[64];

        aead.Dispose();
        aead.Dispose();   // twice is harmless

        Assert.Throws<ObjectDisposedException>(() => aead.Seal(nonce, buffer.AsSpan(0, 48), default, buffer));
        Assert.Throws<ObjectDisposedException>(() => aead.Open(nonce, buffer, default, buffer.AsSpan(0, 48)));
    }

    [Fact]
    public void Seal_ShiftedOverlap_Throws()
    {
        if (!Here) return;
        using var aead = new EvpChaChaPoly(Key);
        var buffer = new byte[200];

        Assert.Throws<ArgumentException>(() => aead.Seal(new byte[12], buffer.AsSpan(0, 100), default, buffer.AsSpan(1)));
    }

    /// <summary>STYLE.md "Hot path": no bytes allocated per message once warm, in place, both directions.</summary>
    [Theory]
    [InlineData(false, 64)]
    [InlineData(false, 1420)]
    [InlineData(true, 1420)]
    public void SealOpen_InPlace_AllocatesNothing(bool ctrl, int length)
    {
        if (!Here) return;
        using var aead = new EvpChaChaPoly(Key, Mode(ctrl));
        var nonce = new byte[12];
        var frame = new byte[length + 16];
        ulong counter = 0;
        void Round()
        {
            ChaChaPoly.WriteCounterNonce(counter++, nonce);
            aead.Seal(nonce, frame.AsSpan(0, length), default, frame);
            if (!aead.Open(nonce, frame, default, frame.AsSpan(0, length))) throw new InvalidOperationException("open failed");
        }

        Assert.Equal(0, AllocationProbe.SteadyStateBytes(Round, warmUp: 100, rounds: 5_000));
    }
}
