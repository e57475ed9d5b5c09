using System.Text;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Noise;

/// <summary>
/// The strings WireGuard v1 fixes (whitepaper §5.4; reference/wireguard.md §1.1) and the two derived
/// starting values C0 = HASH(CONSTRUCTION) and H0 = HASH(C0 ‖ IDENTIFIER).
/// </summary>
public static class NoiseConstants
{
    public static ReadOnlySpan<byte> Construction => "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"u8;
    public static ReadOnlySpan<byte> Identifier => "WireGuard v1 zx2c4 Jason@zx2c4.com"u8;
    public static ReadOnlySpan<byte> LabelMac1 => "mac1----"u8;
    public static ReadOnlySpan<byte> LabelCookie => "cookie--"u8;

    private static readonly byte[] s_initialChainKey = Compute(out s_initialHash);
    private static readonly byte[] s_initialHash;

    /// <summary>C0 = HASH(CONSTRUCTION) = 60e26dae…8b78cd36.</summary>
    public static ReadOnlySpan<byte> InitialChainKey => s_initialChainKey;

    /// <summary>H0 = HASH(C0 ‖ IDENTIFIER) = 2211b361…ba079ef3.</summary>
    public static ReadOnlySpan<byte> InitialHash => s_initialHash;

    private static byte[] Compute(out byte[] hash)
    {
        var ck = new byte[32];
        Blake2s.Hash(Construction, ck);
        hash = new byte[32];
        Blake2s.Hash(ck, Identifier, hash);
        return ck;
    }

    /// <summary>mac1 key = HASH(LABEL_MAC1 ‖ public key of the receiver of the message).</summary>
    public static void Mac1Key(ReadOnlySpan<byte> receiverPublic, Span<byte> key32) =>
        Blake2s.Hash(LabelMac1, receiverPublic, key32);

    /// <summary>cookie key = HASH(LABEL_COOKIE ‖ public key of the responder that issues cookies).</summary>
    public static void CookieKey(ReadOnlySpan<byte> receiverPublic, Span<byte> key32) =>
        Blake2s.Hash(LabelCookie, receiverPublic, key32);
}
