using System.Text;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class HmacBlake2sTests
{
    [Theory]
    // /work/shared/reference/wireguard.md §3.3 "extra primitive checks" (Python hmac + hashlib.blake2s).
    [InlineData("", "", "eaf4bb25938f4d20e72656bbbc7a9bf63c0c18537333c35bdb67db1402661acd")]
    [InlineData("key", "The quick brown fox jumps over the lazy dog", "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0")]
    public void Compute_ReferenceVector_Matches(string key, string message, string expected)
    {
        var output = new byte[32];
        HmacBlake2s.Compute(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(message), output);
        Assert.Equal(expected, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Compute_KeyLongerThanBlock_HashesKeyFirst()
    {
        // RFC 2104 §2 long-key rule; Python hmac.new(bytes(range(100)), b"abc", hashlib.blake2s).
        byte[] key = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var output = new byte[32];
        HmacBlake2s.Compute(key, "abc"u8, output);
        Assert.Equal("c1b751501db12b753069a918627b623179be55c8cc7ca5c4e14bdf32274ac656", Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Compute_TwoParts_EqualsConcatenation()
    {
        byte[] key = Encoding.ASCII.GetBytes("key");
        var expected = new byte[32];
        HmacBlake2s.Compute(key, "The quick brown fox jumps over the lazy dog"u8, expected);

        var actual = new byte[32];
        HmacBlake2s.Compute(key, "The quick brown "u8, "fox jumps over the lazy dog"u8, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Compute_OutputAliasesKey_SameAsSeparateOutput()
    {
        byte[] key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var expected = new byte[32];
        HmacBlake2s.Compute(key, "data"u8, expected);

        HmacBlake2s.Compute(key, "data"u8, key);
        Assert.Equal(expected, key);
    }
}
