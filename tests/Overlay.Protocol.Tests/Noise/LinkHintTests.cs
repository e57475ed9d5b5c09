using System.Buffers.Binary;
using System.Text.Json;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Sessions;

namespace Overlay.Protocol.Tests.Noise;

public class LinkHintTests
{
    private static readonly byte[] Psk = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    /// <summary>
    /// Rows of Vectors/link-hint-kat.json, produced by Vectors/gen_link_hint_kat.py (hashlib.blake2s,
    /// self-checked against RFC 7693 Appendix B and the BLAKE2 reference keyed vector).
    /// </summary>
    public static TheoryData<string, uint, uint, string, long, long, uint, uint, uint, string> KatVectors()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "link-hint-kat.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var data = new TheoryData<string, uint, uint, string, long, long, uint, uint, uint, string>();
        foreach (JsonElement v in doc.RootElement.EnumerateArray())
        {
            data.Add(
                v.GetProperty("psk").GetString()!,
                v.GetProperty("initiator_id").GetUInt32(),
                v.GetProperty("responder_id").GetUInt32(),
                v.GetProperty("hint_key").GetString()!,
                v.GetProperty("unix_seconds").GetInt64(),
                v.GetProperty("bucket").GetInt64(),
                v.GetProperty("hint").GetUInt32(),
                v.GetProperty("low").GetUInt32(),
                v.GetProperty("sender_index").GetUInt32(),
                v.GetProperty("sender_index_wire").GetString()!);
        }

        return data;
    }

    [Fact]
    public void KatFile_CoversBucketEdgesAndBothDirections()
    {
        var rows = KatVectors().Select(r => ((uint)r[1], (uint)r[2], (long)r[4])).ToList();
        Assert.True(rows.Count >= 8);
        Assert.Contains(rows, r => r.Item1 == 2 && r.Item2 == 1);
        Assert.Contains(rows, r => r.Item1 == 1 && r.Item2 == 2);
        Assert.Contains(rows, r => r.Item3 == 119);
        Assert.Contains(rows, r => r.Item3 == 120);
    }

    [Theory]
    [MemberData(nameof(KatVectors))]
    public void Compute_KatVector_Matches(string psk, uint initiatorId, uint responderId, string hintKey,
        long unixSeconds, long bucket, uint hint, uint low, uint senderIndex, string senderIndexWire)
    {
        var key = new byte[LinkHint.KeySize];
        LinkHint.DeriveKey(Convert.FromHexString(psk), initiatorId, responderId, key);
        Assert.Equal(hintKey, Convert.ToHexStringLower(key));

        Assert.Equal(bucket, LinkHint.Bucket(unixSeconds));
        Assert.Equal(bucket, LinkHint.Bucket(DateTimeOffset.FromUnixTimeSeconds(unixSeconds)));
        Assert.Equal(hint, LinkHint.Compute(key, bucket));

        uint index = LinkHint.MakeIndex(hint, low);
        Assert.Equal(senderIndex, index);
        Assert.Equal(hint, LinkHint.Of(index));
        var wire = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(wire, index);
        Assert.Equal(senderIndexWire, Convert.ToHexStringLower(wire));
    }

    [Fact]
    public void DeriveKey_SwappedDirection_DiffersAndDiffersFromStaticKey()
    {
        var a = new byte[32];
        var b = new byte[32];
        var s = new byte[32];
        LinkHint.DeriveKey(Psk, 2, 1, a);
        LinkHint.DeriveKey(Psk, 1, 2, b);
        PskIdentity.DeriveStaticPrivate(Psk, 2, 1, s);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, s);
    }

    [Fact]
    public void Compute_OtherPsk_GivesUnrelatedHints()
    {
        // Without the PSK a hint is a 28-bit PRF output: another PSK agrees on about 2^-28 of buckets.
        var key = new byte[32];
        var other = new byte[32];
        byte[] otherPsk = (byte[])Psk.Clone();
        otherPsk[0] ^= 1;
        LinkHint.DeriveKey(Psk, 2, 1, key);
        LinkHint.DeriveKey(otherPsk, 2, 1, other);
        int equal = 0;
        for (long bucket = 0; bucket < 1000; bucket++)
            if (LinkHint.Compute(key, bucket) == LinkHint.Compute(other, bucket)) equal++;
        Assert.Equal(0, equal);
    }

    [Fact]
    public void Compute_ConsecutiveBuckets_AreDistinctAndFitHintBits()
    {
        var key = new byte[32];
        LinkHint.DeriveKey(Psk, 2, 1, key);
        var seen = new HashSet<uint>();
        for (long bucket = 14_833_000; bucket < 14_834_000; bucket++)
        {
            uint hint = LinkHint.Compute(key, bucket);
            Assert.True(hint <= LinkHint.HintMask);
            seen.Add(hint);
        }

        Assert.Equal(1000, seen.Count);
    }

    [Fact]
    public void Bucket_BeforeEpoch_IsZero()
    {
        Assert.Equal(0, LinkHint.Bucket(-5));
        Assert.Equal(0, LinkHint.Bucket(119));
        Assert.Equal(1, LinkHint.Bucket(120));
    }

    [Fact]
    public void Compute_WrongKeyLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => LinkHint.Compute(new byte[16], 1));
        Assert.Throws<ArgumentException>(() => LinkHint.DeriveKey(new byte[16], 1, 2, new byte[32]));
    }

    [Fact]
    public void Labels_AreAsciiWithoutNul()
    {
        Assert.Equal("subnetra-wg-v1-hint-key", System.Text.Encoding.ASCII.GetString(LinkHint.KeyLabel));
        Assert.Equal("subnetra-wg-v1-hint", System.Text.Encoding.ASCII.GetString(LinkHint.TagLabel));
    }

    [Fact]
    public void NewHintedIndex_CarriesHintAndStaysUniqueUntilExhausted()
    {
        var table = new IndexTable<object>(() => 7);
        var owner = new object();
        const uint hint = 0x0ABCDEF;
        var got = new HashSet<uint>();
        for (int i = 0; i < 16; i++)
        {
            uint index = table.NewHintedIndex(owner, hint);
            Assert.Equal(hint, LinkHint.Of(index));
            Assert.True(got.Add(index));
        }

        // All 16 low values taken: the next one falls back to a random (here: the test source's) index.
        uint fallback = table.NewHintedIndex(owner, hint);
        Assert.Equal(7u, fallback);
        Assert.Equal(17, table.Count);
    }

    [Fact]
    public void NewHintedIndex_ZeroHint_NeverReturnsIndexZero()
    {
        uint next = 0;
        var table = new IndexTable<object>(() => next++);
        for (int i = 0; i < 15; i++)
            Assert.NotEqual(0u, table.NewHintedIndex(new object(), 0));
        Assert.Equal(15, table.Count);
    }

    [Fact]
    public void NewHintedIndex_SkipsIndicesOtherPeersHold()
    {
        const uint hint = 0x1234567;
        var table = new IndexTable<object>(() => 0);
        var other = new object();
        for (uint low = 0; low < 15; low++) table.Assign(LinkHint.MakeIndex(hint, low), other, null);
        uint index = table.NewHintedIndex(new object(), hint);
        Assert.Equal(LinkHint.MakeIndex(hint, 15), index);
    }
}
