using System.Text;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class Blake2sTests
{
    private static byte[] Sequence(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)i;
        }

        return data;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    [Fact]
    public void Hash_Abc_MatchesRfc7693AppendixB()
    {
        // RFC 7693 Appendix B: BLAKE2s-256("abc").
        var output = new byte[32];
        Blake2s.Hash("abc"u8, output);
        Assert.Equal("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", Hex(output));
    }

    [Fact]
    public void SelfTest_GrandHash_MatchesRfc7693AppendixE()
    {
        // RFC 7693 Appendix E, blake2s_selftest(): every digest length x input length, unkeyed
        // and keyed, fed into one outer BLAKE2s-256.
        int[] digestLengths = [16, 20, 28, 32];
        int[] inputLengths = [0, 3, 64, 65, 255, 1024];
        var input = new byte[1024];
        var key = new byte[32];
        var md = new byte[32];

        var outer = new Blake2s(32);
        foreach (int outlen in digestLengths)
        {
            foreach (int inlen in inputLengths)
            {
                SelftestSeq(input.AsSpan(0, inlen), (uint)inlen);
                var unkeyed = new Blake2s(outlen);
                unkeyed.Update(input.AsSpan(0, inlen));
                unkeyed.Final(md);
                outer.Update(md.AsSpan(0, outlen));

                SelftestSeq(key.AsSpan(0, outlen), (uint)outlen);
                var keyed = new Blake2s(outlen, key.AsSpan(0, outlen));
                keyed.Update(input.AsSpan(0, inlen));
                keyed.Final(md);
                outer.Update(md.AsSpan(0, outlen));
            }
        }

        var grand = new byte[32];
        outer.Final(grand);
        Assert.Equal("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe", Hex(grand));
    }

    // RFC 7693 Appendix E selftest_seq: a Fibonacci-like generator seeded with 0xDEAD4BAD * seed.
    private static void SelftestSeq(Span<byte> output, uint seed)
    {
        uint a = 0xDEAD4BAD * seed;
        uint b = 1;
        for (int i = 0; i < output.Length; i++)
        {
            uint t = a + b;
            a = b;
            b = t;
            output[i] = (byte)(t >> 24);
        }
    }

    [Theory]
    // wireguard-linux-compat src/crypto/zinc/selftest/blake2s.c blake2s_keyed_testvecs[n]
    // (key 00..1f, input 00 01 02 .. of length n); values recomputed with Python
    // hashlib.blake2s(bytes(range(n)), key=bytes(range(32))).
    [InlineData(0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49")]
    [InlineData(1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1")]
    [InlineData(64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4")]
    [InlineData(255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd")]
    public void Final_KeyedKatVector_Matches(int length, string expected)
    {
        var b = new Blake2s(32, Sequence(32));
        b.Update(Sequence(length));
        var output = new byte[32];
        b.Final(output);
        Assert.Equal(expected, Hex(output));
    }

    [Theory]
    // blake2s_testvecs[n] of the same file (unkeyed); Python hashlib.blake2s(bytes(range(n))).
    [InlineData(0, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9")]
    [InlineData(1, "e34d74dbaf4ff4c6abd871cc220451d2ea2648846c7757fbaac82fe51ad64bea")]
    [InlineData(64, "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e")]
    [InlineData(65, "1b53ee94aaf34e4b159d48de352c7f0661d0a40edff95a0b1639b4090e974472")]
    [InlineData(255, "f03f5789d3336b80d002d59fdf918bdb775b00956ed5528e86aa994acb38fe2d")]
    public void Hash_UnkeyedKatVector_Matches(int length, string expected)
    {
        var output = new byte[32];
        Blake2s.Hash(Sequence(length), output);
        Assert.Equal(expected, Hex(output));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(129)]
    public void Update_OddChunks_EqualsOneShot(int chunk)
    {
        byte[] data = Sequence(255).Concat(Sequence(200)).ToArray();
        byte[] key = Sequence(17);

        var oneShot = new Blake2s(28, key);
        oneShot.Update(data);
        var expected = new byte[28];
        oneShot.Final(expected);

        var incremental = new Blake2s(28, key);
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            incremental.Update(data.AsSpan(offset, Math.Min(chunk, data.Length - offset)));
            incremental.Update(ReadOnlySpan<byte>.Empty);
        }

        var actual = new byte[28];
        incremental.Final(actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Hash_TwoParts_EqualsHashOfConcatenation()
    {
        byte[] a = Sequence(40);
        byte[] b = Sequence(90);
        var expected = new byte[32];
        Blake2s.Hash(a.Concat(b).ToArray(), expected);

        var actual = new byte[32];
        Blake2s.Hash(a, b, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Hash_OutputAliasesInput_SameAsSeparateOutput()
    {
        // Noise MixHash does h = HASH(h || e) with h as both input and output.
        byte[] h = Sequence(32);
        byte[] e = Encoding.ASCII.GetBytes("ephemeral public key bytes......");
        var expected = new byte[32];
        Blake2s.Hash(h, e, expected);

        Blake2s.Hash(h, e, h);
        Assert.Equal(expected, h);
    }

    [Fact]
    public void Mac_Keyed128_MatchesKeyedBlake2sWithDigest16()
    {
        // WireGuard MAC(key, x) = keyed BLAKE2s with a 16-byte digest; Python:
        // hashlib.blake2s(bytes(range(116)), key=bytes(range(32)), digest_size=16).
        var output = new byte[16];
        Blake2s.Mac(Sequence(32), Sequence(116), output);

        var reference = new Blake2s(16, Sequence(32));
        reference.Update(Sequence(116));
        var expected = new byte[16];
        reference.Final(expected);

        Assert.Equal(expected, output);
        Assert.Equal("072e94ffbfc684bd8ab2a1b9dade2fd5", Hex(output));
    }

    [Fact]
    public void Final_CalledTwice_Throws()
    {
        var b = new Blake2s(32);
        var output = new byte[32];
        b.Final(output);
        Assert.Throws<InvalidOperationException>(() => b.Final(output));
    }

    [Fact]
    public void Update_DefaultStruct_Throws()
    {
        Blake2s b = default;
        Assert.Throws<InvalidOperationException>(() => b.Update("x"u8));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void Constructor_BadOutputLength_Throws(int outputLength)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blake2s(outputLength));
    }

    [Fact]
    public void Constructor_KeyLongerThan32_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Blake2s(32, new byte[33]));
    }

    [Fact]
    public void Mac_Repeated_AllocatesNothing()
    {
        byte[] key = Sequence(32);
        byte[] data = Sequence(116);
        var output = new byte[16];
        Blake2s.Mac(key, data, output);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Blake2s.Mac(key, data, output);
        }

        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }
}
