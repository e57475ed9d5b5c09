using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class KdfTests
{
    public static TheoryData<string, string, string, string, string> Vectors => new()
    {
        // wireguard-go device/kdf_test.go TestKDF inputs ("test-key"/"test-input", "wireguard"/"wireguard",
        // empty/empty); outputs computed with Python: t0 = hmac.new(ck, input, hashlib.blake2s).digest(),
        // T1 = HMAC(t0, 01), T2 = HMAC(t0, T1 || 02), T3 = HMAC(t0, T2 || 03).
        {
            "746573742d6b6579", "746573742d696e707574",
            "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
            "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
            "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"
        },
        {
            "776972656775617264", "776972656775617264",
            "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
            "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
            "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"
        },
        {
            "", "",
            "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
            "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
            "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"
        },
        // A 32-byte chaining key (00..1f) and 32-byte input (64..83), the shape the handshake uses; Python as above.
        {
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283",
            "e3b7e038799447459d13f6cc03b71555c0b32ee93354ebe4526ec98bc53b20a4",
            "ca06d8e46b509266c7c0594805ffb9c256348a33c642381348f047e452d239e2",
            "5ee952936bec1473c13db1cc92b8d8ba5ad2df7c77f07478731d48aa5530a000"
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Kdf1_Vector_ReturnsT1(string ck, string input, string t1, string t2, string t3)
    {
        _ = t2;
        _ = t3;
        var out1 = new byte[32];
        Kdf.Kdf1(Convert.FromHexString(ck), Convert.FromHexString(input), out1);
        Assert.Equal(t1, Convert.ToHexStringLower(out1));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Kdf2_Vector_ReturnsT1T2(string ck, string input, string t1, string t2, string t3)
    {
        _ = t3;
        var out1 = new byte[32];
        var out2 = new byte[32];
        Kdf.Kdf2(Convert.FromHexString(ck), Convert.FromHexString(input), out1, out2);
        Assert.Equal(t1, Convert.ToHexStringLower(out1));
        Assert.Equal(t2, Convert.ToHexStringLower(out2));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Kdf3_Vector_ReturnsT1T2T3(string ck, string input, string t1, string t2, string t3)
    {
        var out1 = new byte[32];
        var out2 = new byte[32];
        var out3 = new byte[32];
        Kdf.Kdf3(Convert.FromHexString(ck), Convert.FromHexString(input), out1, out2, out3);
        Assert.Equal(t1, Convert.ToHexStringLower(out1));
        Assert.Equal(t2, Convert.ToHexStringLower(out2));
        Assert.Equal(t3, Convert.ToHexStringLower(out3));
    }

    [Fact]
    public void Kdf1_OutputAliasesChainingKey_SameAsSeparateOutput()
    {
        // Noise MixKey: ck = KDF1(ck, x).
        byte[] ck = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] input = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var expected = new byte[32];
        Kdf.Kdf1(ck, input, expected);

        Kdf.Kdf1(ck, input, ck);
        Assert.Equal(expected, ck);
    }

    [Fact]
    public void Kdf2_OutputsAliasBothInputs_SameAsSeparateOutputs()
    {
        // (ck, k) = KDF2(ck, dh) with the dh buffer reused for k.
        byte[] ck = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] input = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var e1 = new byte[32];
        var e2 = new byte[32];
        Kdf.Kdf2(ck, input, e1, e2);

        Kdf.Kdf2(ck, input, ck, input);
        Assert.Equal(e1, ck);
        Assert.Equal(e2, input);
    }

    [Fact]
    public void Kdf3_OutputAliasesChainingKey_SameAsSeparateOutputs()
    {
        byte[] ck = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] input = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var e1 = new byte[32];
        var e2 = new byte[32];
        var e3 = new byte[32];
        Kdf.Kdf3(ck, input, e1, e2, e3);

        var o2 = new byte[32];
        var o3 = new byte[32];
        Kdf.Kdf3(ck, input, ck, o2, o3);
        Assert.Equal(e1, ck);
        Assert.Equal(e2, o2);
        Assert.Equal(e3, o3);
    }

    [Fact]
    public void Kdf3_Repeated_AllocatesNothing()
    {
        var ck = new byte[32];
        var input = new byte[32];
        var t2 = new byte[32];
        var t3 = new byte[32];
        Kdf.Kdf3(ck, input, ck, t2, t3);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Kdf.Kdf3(ck, input, ck, t2, t3);
        }

        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }
}
