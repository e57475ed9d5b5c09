using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Tests.Fakes;

namespace Overlay.Protocol.Tests.Crypto;

/// <summary>The per-size AEAD backend of a session key: libsodium below the threshold, the framework (OpenSSL) from it.</summary>
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

    [Theory]
    [InlineData(0)]
    [InlineData(48)]
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
        Assert.True(framework.UsesFramework);
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
    public void Constructor_DefaultThreshold_UsesFrameworkOnLinuxWhereSupported()
    {
        using var key = new ChaChaPolyKey(Key);

        Assert.Equal(OperatingSystem.IsLinux() && FrameworkHere, ChaChaPolyKey.FrameworkAvailable);
        Assert.Equal(ChaChaPolyKey.FrameworkAvailable, key.UsesFramework);
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
        int exceptions = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is AuthenticationTagMismatchException) Interlocked.Increment(ref exceptions);
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        var scratch = new byte[1436];
        int accepted = 0;
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

        Assert.Equal(0, accepted);
        Assert.True(exceptions <= 1, $"{exceptions} tag exceptions for 100 forgeries");
        Assert.False(key.UsesFramework);
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
        Assert.False(key.UsesFramework);
    }

    /// <summary>STYLE.md "Hot path": both backends seal and open in place without allocating.</summary>
    [Theory]
    [InlineData(64)]
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
        Assert.Equal(ChaChaPolyKey.FrameworkAvailable, key.UsesFramework);   // no open failed and fell back
    }
}
