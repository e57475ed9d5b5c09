using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Tests.Fakes;

namespace Overlay.Protocol.Tests.Crypto;

/// <summary>The per-size AEAD backend of a session key: libsodium below the threshold, OpenSSL (direct EVP or the framework) from it.</summary>
public class ChaChaPolyKeyTests
{
    private static readonly byte[] Key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");

    private static byte[] Message(int length)
    {
        var m = new byte[length];
        for (int i = 0; i < length; i++) m[i] = (byte)(i * 7 + 3);
        return m;
    }

    private static bool FrameworkHere => ChaCha20Poly1305.IsSupported;

    private static bool DirectHere => ChaChaPolyKey.DirectAvailable;

    /// <summary>Opens a forged 1,420-byte message 100 times; returns how many opened and how many exceptions <paramref name="counts"/> matched meanwhile.</summary>
    private static (int Accepted, int Exceptions) OpenHundredForgeries(ChaChaPolyKey key, byte[] forged, Func<Exception, bool> counts)
    {
        int exceptions = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs e)
        {
            if (counts(e.Exception)) Interlocked.Increment(ref exceptions);
        }

        var scratch = new byte[1436];
        int accepted = 0;
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            for (int i = 0; i < 100; i++)
            {
                forged.CopyTo(scratch, 0);
                if (key.Open(9, scratch, scratch.AsSpan(0, 1420))) accepted++;
            }
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }
        return (accepted, exceptions);
    }

    /// <summary>
    /// Where libcrypto.so.3 loads (Linux with OpenSSL 3, as on CI), the direct backend must be the default: a binding
    /// or self-test that broke would otherwise fall back silently and every Direct test below would return early.
    /// </summary>
    [Fact]
    public void DirectAvailable_WhereLibcrypto3Loads_True()
    {
        if (!OperatingSystem.IsLinux() || !System.Runtime.InteropServices.NativeLibrary.TryLoad("libcrypto.so.3", out IntPtr lib)) return;
        System.Runtime.InteropServices.NativeLibrary.Free(lib);

        Assert.True(ChaChaPolyKey.DirectAvailable);
        Assert.Equal(ChaChaPolyKey.LargeBackend.Direct, ChaChaPolyKey.DefaultLargeBackend);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(48)]
    [InlineData(ChaChaPolyKey.DirectMinimumLength - 1)]
    [InlineData(ChaChaPolyKey.DirectMinimumLength)]
    [InlineData(ChaChaPolyKey.FrameworkMinimumLength - 1)]
    [InlineData(ChaChaPolyKey.FrameworkMinimumLength)]
    [InlineData(1420)]
    [InlineData(9000)]
    public void Seal_FrameworkAndLibsodium_SameCiphertextAndEachOpensTheOther(int length)
    {
        if (!FrameworkHere) return;
        using var sodium = new ChaChaPolyKey(Key, int.MaxValue);
        using var framework = new ChaChaPolyKey(Key, 0);
        byte[] plain = Message(length);
        var a = new byte[length + 16];
        var b = new byte[length + 16];
        // The independent computation: libsodium's ChaChaPoly with the WireGuard counter nonce.
        var expected = new byte[length + 16];
        ChaChaPoly.Seal(Key, 77, plain, default, expected);

        sodium.Seal(77, plain, a);
        framework.Seal(77, plain, b);

        Assert.Equal(expected, a);
        Assert.Equal(expected, b);
        var back = new byte[length];
        Assert.True(framework.Open(77, a, back));
        Assert.Equal(plain, back);
        Assert.True(sodium.Open(77, b, back));
        Assert.Equal(plain, back);
        Assert.Equal(ChaChaPolyKey.LargeBackend.Framework, framework.Large);
        if (!DirectHere) return;
        using var direct = new ChaChaPolyKey(Key, ChaChaPolyKey.LargeBackend.Direct, 0);
        var c = new byte[length + 16];
        direct.Seal(77, plain, c);
        Assert.Equal(expected, c);
        Assert.True(direct.Open(77, a, back));
        Assert.Equal(plain, back);
        Assert.True(framework.Open(77, c, back));
        Assert.Equal(plain, back);
        Assert.Equal(ChaChaPolyKey.LargeBackend.Direct, direct.Large);
    }

    [Theory]
    [InlineData(ChaChaPolyKey.DirectMinimumLength)]
    [InlineData(1420)]
    public void Seal_InPlaceWithDirect_OpensInPlace(int length)
    {
        if (!DirectHere) return;
        using var key = new ChaChaPolyKey(Key, ChaChaPolyKey.LargeBackend.Direct, 0);
        byte[] plain = Message(length);
        var frame = new byte[length + 16];
        plain.CopyTo(frame, 0);
        var expected = new byte[length + 16];
        ChaChaPoly.Seal(Key, 5, plain, default, expected);

        key.Seal(5, frame.AsSpan(0, length), frame);
        Assert.Equal(expected, frame);
        Assert.True(key.Open(5, frame, frame.AsSpan(0, length)));

        Assert.Equal(plain, frame[..length]);
    }

    /// <summary>The direct backend reports a bad tag by returning false: no exception at all, and the key stays on OpenSSL.</summary>
    [Fact]
    public void Open_ForgedLargeMessagesDirect_FalseNoExceptionStaysDirect()
    {
        if (!DirectHere) return;
        using var key = new ChaChaPolyKey(Key, ChaChaPolyKey.LargeBackend.Direct, 0);
        byte[] plain = Message(1420);
        var good = new byte[1420 + 16];
        key.Seal(9, plain, good);
        var forged = (byte[])good.Clone();
        forged[1430] ^= 1;
        (int accepted, int exceptions) = OpenHundredForgeries(key, forged, _ => true);

        Assert.Equal(0, accepted);
        Assert.Equal(0, exceptions);
        Assert.Equal(ChaChaPolyKey.LargeBackend.Direct, key.Large);
        var back = new byte[1420];
        Assert.True(key.Open(9, good, back));
        Assert.Equal(plain, back);
    }

    [Fact]
    public void Seal_InPlaceWithFramework_OpensInPlace()
    {
        if (!FrameworkHere) return;
        using var key = new ChaChaPolyKey(Key, 0);
        byte[] plain = Message(1420);
        var frame = new byte[1420 + 16];
        plain.CopyTo(frame, 0);

        key.Seal(5, frame.AsSpan(0, 1420), frame);
        Assert.NotEqual(plain, frame[..1420]);
        Assert.True(key.Open(5, frame, frame.AsSpan(0, 1420)));

        Assert.Equal(plain, frame[..1420]);
    }

    [Fact]
    public void Constructor_DefaultThreshold_DirectWhereAvailableElseFrameworkOnLinux()
    {
        using var key = new ChaChaPolyKey(Key);

        Assert.Equal(OperatingSystem.IsLinux() && FrameworkHere, ChaChaPolyKey.FrameworkAvailable);
        Assert.Equal(EvpChaChaPoly.IsAvailable, ChaChaPolyKey.DirectAvailable);
        ChaChaPolyKey.LargeBackend expected = DirectHere ? ChaChaPolyKey.LargeBackend.Direct
            : ChaChaPolyKey.FrameworkAvailable ? ChaChaPolyKey.LargeBackend.Framework : ChaChaPolyKey.LargeBackend.Libsodium;
        Assert.Equal(expected, ChaChaPolyKey.DefaultLargeBackend);
        Assert.Equal(expected, key.Large);
        Assert.Equal(expected switch
        {
            ChaChaPolyKey.LargeBackend.Direct => ChaChaPolyKey.DirectMinimumLength,
            ChaChaPolyKey.LargeBackend.Framework => ChaChaPolyKey.FrameworkMinimumLength,
            _ => int.MaxValue,
        }, ChaChaPolyKey.DefaultLargeMinimumLength);
    }

    /// <summary>
    /// The framework reports a bad tag by throwing; a forged stream must not cost an exception per packet
    /// (an amplification lever): the first forgery moves the key to libsodium, which returns false.
    /// </summary>
    [Fact]
    public void Open_ForgedLargeMessages_FalseWithOneExceptionThenLibsodium()
    {
        if (!FrameworkHere) return;
        using var key = new ChaChaPolyKey(Key, 0);
        byte[] plain = Message(1420);
        var good = new byte[1420 + 16];
        key.Seal(9, plain, good);
        var forged = (byte[])good.Clone();
        forged[100] ^= 1;
        (int accepted, int exceptions) = OpenHundredForgeries(key, forged, e => e is AuthenticationTagMismatchException);

        Assert.Equal(0, accepted);
        Assert.True(exceptions <= 1, $"{exceptions} tag exceptions for 100 forgeries");
        Assert.Equal(ChaChaPolyKey.LargeBackend.Libsodium, key.Large);
        var back = new byte[1420];
        Assert.True(key.Open(9, good, back));   // genuine packets still open (now through libsodium)
        Assert.Equal(plain, back);
    }

    [Fact]
    public void Open_ShorterThanTag_False()
    {
        using var key = new ChaChaPolyKey(Key, 0);

        Assert.False(key.Open(1, new byte[15], new byte[16]));
    }

    [Fact]
    public void Dispose_ZeroesKeyAndReleasesFramework()
    {
        var key = new ChaChaPolyKey(Key, 0);

        key.Dispose();

        Assert.True(key.Key.IndexOfAnyExcept((byte)0) < 0);
        Assert.False(key.UsesOpenSsl);
    }

    /// <summary>
    /// After dispose the native context is gone; a late seal or open (a stale keypair on the loop) must not
    /// reach it: it falls back to libsodium with the zeroed key, so nothing throws and genuine packets no longer open.
    /// </summary>
    [Fact]
    public void Dispose_DirectThenUse_FallsBackToZeroKeyWithoutThrowing()
    {
        if (!DirectHere) return;
        var key = new ChaChaPolyKey(Key, ChaChaPolyKey.LargeBackend.Direct, 0);
        var sealedBytes = new byte[1436];
        key.Seal(3, Message(1420), sealedBytes);

        key.Dispose();
        key.Dispose();

        Assert.True(key.Key.IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(ChaChaPolyKey.LargeBackend.Libsodium, key.Large);
        Assert.False(key.Open(3, sealedBytes, new byte[1420]));
        var again = new byte[1436];
        key.Seal(3, Message(1420), again);
        Assert.NotEqual(sealedBytes, again);
    }

    /// <summary>STYLE.md "Hot path": both backends seal and open in place without allocating.</summary>
    [Theory]
    [InlineData(64)]
    [InlineData(ChaChaPolyKey.DirectMinimumLength)]
    [InlineData(1420)]
    public void SealOpen_DefaultKey_AllocatesNothing(int length)
    {
        using var key = new ChaChaPolyKey(Key);
        var frame = new byte[length + 16];
        ulong counter = 0;
        void Round()
        {
            key.Seal(counter, frame.AsSpan(0, length), frame);
            if (!key.Open(counter, frame, frame.AsSpan(0, length))) throw new InvalidOperationException("open failed");
            counter++;
        }

        Assert.Equal(0, AllocationProbe.SteadyStateBytes(Round, warmUp: 100, rounds: 5_000));
        Assert.Equal(ChaChaPolyKey.DefaultLargeBackend, key.Large);   // no open failed and fell back
    }
}
