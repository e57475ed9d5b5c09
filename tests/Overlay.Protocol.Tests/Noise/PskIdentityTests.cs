using System.Text.Json;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Noise;

namespace Overlay.Protocol.Tests.Noise;

public class PskIdentityTests
{
    private static readonly byte[] Psk = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    /// <summary>
    /// Rows of Vectors/psk-identity-kat.json, produced by Vectors/gen_psk_identity_kat.py
    /// (hashlib.blake2s + a pure-Python RFC 7748 ladder, self-checked against RFC 7748 §5.2/§6.1;
    /// public keys also confirmed with `wg pubkey`).
    /// </summary>
    public static TheoryData<string, uint, uint, string, string, string> KatVectors()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "psk-identity-kat.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var data = new TheoryData<string, uint, uint, string, string, string>();
        foreach (JsonElement v in doc.RootElement.EnumerateArray())
        {
            data.Add(
                v.GetProperty("psk").GetString()!,
                v.GetProperty("self_id").GetUInt32(),
                v.GetProperty("peer_id").GetUInt32(),
                v.GetProperty("private_key").GetString()!,
                v.GetProperty("public_key").GetString()!,
                v.GetProperty("public_key_b64").GetString()!);
        }

        return data;
    }

    [Fact]
    public void KatFile_HasEnoughVectorsIncludingEdgeIdsAndBothOrders()
    {
        var rows = KatVectors().Select(r => ((uint)r[1], (uint)r[2])).ToList();
        Assert.True(rows.Count >= 6);
        Assert.Contains((1u, 65535u), rows);
        Assert.Contains((65535u, 1u), rows);
        Assert.Contains((1u, 2u), rows);
        Assert.Contains((2u, 1u), rows);
    }

    [Theory]
    [MemberData(nameof(KatVectors))]
    public void DeriveStaticPrivate_KatVector_Matches(string psk, uint selfId, uint peerId, string privateKey, string publicKey, string publicKeyB64)
    {
        _ = publicKey;
        _ = publicKeyB64;
        var actual = new byte[32];
        PskIdentity.DeriveStaticPrivate(Convert.FromHexString(psk), selfId, peerId, actual);
        Assert.Equal(privateKey, Convert.ToHexStringLower(actual));
    }

    [Theory]
    [MemberData(nameof(KatVectors))]
    public void DeriveStaticPublic_KatVector_Matches(string psk, uint selfId, uint peerId, string privateKey, string publicKey, string publicKeyB64)
    {
        _ = privateKey;
        var actual = new byte[32];
        PskIdentity.DeriveStaticPublic(Convert.FromHexString(psk), selfId, peerId, actual);
        Assert.Equal(publicKey, Convert.ToHexStringLower(actual));
        Assert.Equal(publicKeyB64, Convert.ToBase64String(actual));
    }

    [Fact]
    public void DeriveStaticPrivate_SwappedIds_DiffersPerDirection()
    {
        var ab = new byte[32];
        var ba = new byte[32];
        PskIdentity.DeriveStaticPrivate(Psk, 1, 2, ab);
        PskIdentity.DeriveStaticPrivate(Psk, 2, 1, ba);
        Assert.NotEqual(ab, ba);

        var pab = new byte[32];
        var pba = new byte[32];
        PskIdentity.DeriveStaticPublic(Psk, 1, 2, pab);
        PskIdentity.DeriveStaticPublic(Psk, 2, 1, pba);
        Assert.NotEqual(pab, pba);
    }

    [Fact]
    public void DeriveStaticPrivate_Always_Clamped()
    {
        var key = new byte[32];
        for (uint id = 0; id < 64; id++)
        {
            PskIdentity.DeriveStaticPrivate(Psk, id, id + 1, key);
            Assert.Equal(0, key[0] & 7);
            Assert.Equal(64, key[31] & 0xC0);
        }
    }

    [Fact]
    public void DerivedKeys_BothEnds_AgreeOnStaticDh()
    {
        // Node 1 uses (1, 2) for itself and (2, 1) for the peer; node 2 the reverse (DESIGN.md §4).
        var sk1 = new byte[32];
        var sk2 = new byte[32];
        var pk1 = new byte[32];
        var pk2 = new byte[32];
        PskIdentity.DeriveStaticPrivate(Psk, 1, 2, sk1);
        PskIdentity.DeriveStaticPrivate(Psk, 2, 1, sk2);
        PskIdentity.DeriveStaticPublic(Psk, 2, 1, pk2);
        PskIdentity.DeriveStaticPublic(Psk, 1, 2, pk1);

        var s1 = new byte[32];
        var s2 = new byte[32];
        Assert.True(X25519.SharedSecret(sk1, pk2, s1));
        Assert.True(X25519.SharedSecret(sk2, pk1, s2));
        Assert.Equal(s1, s2);
    }

    [Fact]
    public void DeriveStaticPrivate_DifferentPsk_DifferentKey()
    {
        var a = new byte[32];
        var b = new byte[32];
        PskIdentity.DeriveStaticPrivate(Psk, 1, 2, a);
        byte[] other = (byte[])Psk.Clone();
        other[31] ^= 1;
        PskIdentity.DeriveStaticPrivate(other, 1, 2, b);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void DeriveStaticPrivate_ShortPsk_Throws()
    {
        Assert.Throws<ArgumentException>(() => PskIdentity.DeriveStaticPrivate(new byte[16], 1, 2, new byte[32]));
    }

    [Fact]
    public void Label_Is21AsciiBytesWithoutNul()
    {
        Assert.Equal(21, PskIdentity.Label.Length);
        Assert.Equal("subnetra-wg-v1-static", System.Text.Encoding.ASCII.GetString(PskIdentity.Label));
    }
}
