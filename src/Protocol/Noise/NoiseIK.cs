using System.Security.Cryptography;
using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Noise;

/// <summary>
/// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s message patterns WireGuard runs (whitepaper §5.4.2–§5.4.5;
/// reference/wireguard.md §1.4), as span functions over a chaining key <c>ck</c> and transcript hash <c>h</c>:
/// <code>
///   -> e, es, s, ss   (msg 1: E_i ‖ AEAD(S_i) 48 ‖ AEAD(payload) len+16)
///   &lt;- e, ee, se, psk (msg 2: E_r ‖ AEAD(payload) len+16)
/// </code>
/// The prologue and both payloads are parameters so the same code reproduces the cacophony vector
/// (prologue "John Galt", 16- and 15-byte payloads) and WireGuard (IDENTIFIER, 12-byte TAI64N, empty).
/// Ephemeral private keys are passed in, so tests can inject them. All functions return false instead
/// of throwing on bad input; on failure the caller discards <c>ck</c>/<c>h</c>.
/// </summary>
public static class NoiseIK
{
    public const int KeySize = 32;
    public const int TagSize = 16;

    /// <summary>
    /// ck = HASH(protocol name) (names over 32 bytes are hashed, Noise §5.2), h = HASH(ck ‖ prologue),
    /// then the pre-message "&lt;- s": h = HASH(h ‖ S_r).
    /// </summary>
    public static void Initialize(ReadOnlySpan<byte> protocolName, ReadOnlySpan<byte> prologue,
        ReadOnlySpan<byte> responderStatic, Span<byte> ck, Span<byte> h)
    {
        if (protocolName.Length <= 32)
        {
            ck.Clear();
            protocolName.CopyTo(ck);
        }
        else
        {
            Blake2s.Hash(protocolName, ck);
        }
        Blake2s.Hash(ck, prologue, h);
        Blake2s.Hash(h, responderStatic, h);
    }

    /// <summary>WireGuard's fixed start: ck = C0, h = HASH(H0 ‖ S_r).</summary>
    public static void InitializeWireGuard(ReadOnlySpan<byte> responderStatic, Span<byte> ck, Span<byte> h)
    {
        NoiseConstants.InitialChainKey.CopyTo(ck);
        Blake2s.Hash(NoiseConstants.InitialHash, responderStatic, h);
    }

    public static int Message1Length(int payloadLength) => KeySize + KeySize + TagSize + payloadLength + TagSize;

    public static int Message2Length(int payloadLength) => KeySize + payloadLength + TagSize;

    /// <summary>
    /// Initiator writes message 1 into <paramref name="output"/> (<see cref="Message1Length"/> bytes).
    /// <paramref name="staticStatic"/> is DH(s_i, S_r), precomputed per peer as wireguard-go does.
    /// </summary>
    public static bool WriteMessage1(Span<byte> ck, Span<byte> h, ReadOnlySpan<byte> ephemeralPrivate,
        ReadOnlySpan<byte> localStaticPublic, ReadOnlySpan<byte> remoteStatic, ReadOnlySpan<byte> staticStatic,
        ReadOnlySpan<byte> payload, Span<byte> output)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        try
        {
            Span<byte> ephemeralPublic = output[..KeySize];
            X25519.DerivePublicKey(ephemeralPrivate, ephemeralPublic);
            // e: h = HASH(h ‖ E_i); psk modes also MixKey(E_i).
            Blake2s.Hash(h, ephemeralPublic, h);
            Kdf.Kdf1(ck, ephemeralPublic, ck);
            // es
            if (!X25519.SharedSecret(ephemeralPrivate, remoteStatic, dh)) return false;
            Kdf.Kdf2(ck, dh, ck, key);
            // s
            Span<byte> encStatic = output.Slice(KeySize, KeySize + TagSize);
            ChaChaPoly.Seal(key, 0, localStaticPublic, h, encStatic);
            Blake2s.Hash(h, encStatic, h);
            // ss
            if (IsZero(staticStatic)) return false;
            Kdf.Kdf2(ck, staticStatic, ck, key);
            Span<byte> encPayload = output.Slice(2 * KeySize + TagSize, payload.Length + TagSize);
            ChaChaPoly.Seal(key, 0, payload, h, encPayload);
            Blake2s.Hash(h, encPayload, h);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>
    /// Responder, first half of message 1: e, es, s. Writes E_i and the decrypted initiator static key.
    /// The caller then finds the peer by that key and calls <see cref="ReadMessage1Payload"/>.
    /// </summary>
    public static bool ReadMessage1Static(Span<byte> ck, Span<byte> h, ReadOnlySpan<byte> localStaticPrivate,
        ReadOnlySpan<byte> message, Span<byte> remoteEphemeral, Span<byte> remoteStatic)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        try
        {
            ReadOnlySpan<byte> ephemeral = message[..KeySize];
            ephemeral.CopyTo(remoteEphemeral);
            Blake2s.Hash(h, ephemeral, h);
            Kdf.Kdf1(ck, ephemeral, ck);
            if (!X25519.SharedSecret(localStaticPrivate, ephemeral, dh)) return false;
            Kdf.Kdf2(ck, dh, ck, key);
            ReadOnlySpan<byte> encStatic = message.Slice(KeySize, KeySize + TagSize);
            if (!ChaChaPoly.Open(key, 0, encStatic, h, remoteStatic)) return false;
            Blake2s.Hash(h, encStatic, h);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
        }
    }

    /// <summary>Responder, second half of message 1: ss and the payload (<paramref name="payload"/> = message length − 112 bytes).</summary>
    public static bool ReadMessage1Payload(Span<byte> ck, Span<byte> h, ReadOnlySpan<byte> staticStatic,
        ReadOnlySpan<byte> message, Span<byte> payload)
    {
        if (IsZero(staticStatic)) return false;
        Span<byte> key = stackalloc byte[KeySize];
        try
        {
            Kdf.Kdf2(ck, staticStatic, ck, key);
            ReadOnlySpan<byte> encPayload = message[(2 * KeySize + TagSize)..];
            if (!ChaChaPoly.Open(key, 0, encPayload, h, payload)) return false;
            Blake2s.Hash(h, encPayload, h);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Responder writes message 2: e, ee, se, psk, payload.</summary>
    public static bool WriteMessage2(Span<byte> ck, Span<byte> h, ReadOnlySpan<byte> ephemeralPrivate,
        ReadOnlySpan<byte> remoteEphemeral, ReadOnlySpan<byte> remoteStatic, ReadOnlySpan<byte> psk,
        ReadOnlySpan<byte> payload, Span<byte> output)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        Span<byte> tau = stackalloc byte[KeySize];
        try
        {
            Span<byte> ephemeralPublic = output[..KeySize];
            X25519.DerivePublicKey(ephemeralPrivate, ephemeralPublic);
            Blake2s.Hash(h, ephemeralPublic, h);
            Kdf.Kdf1(ck, ephemeralPublic, ck);
            if (!X25519.SharedSecret(ephemeralPrivate, remoteEphemeral, dh)) return false;
            Kdf.Kdf1(ck, dh, ck);
            if (!X25519.SharedSecret(ephemeralPrivate, remoteStatic, dh)) return false;
            Kdf.Kdf1(ck, dh, ck);
            Kdf.Kdf3(ck, psk, ck, tau, key);
            Blake2s.Hash(h, tau, h);
            Span<byte> encPayload = output.Slice(KeySize, payload.Length + TagSize);
            ChaChaPoly.Seal(key, 0, payload, h, encPayload);
            Blake2s.Hash(h, encPayload, h);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(tau);
        }
    }

    /// <summary>Initiator reads message 2 (<paramref name="payload"/> = message length − 48 bytes).</summary>
    public static bool ReadMessage2(Span<byte> ck, Span<byte> h, ReadOnlySpan<byte> ephemeralPrivate,
        ReadOnlySpan<byte> localStaticPrivate, ReadOnlySpan<byte> psk, ReadOnlySpan<byte> message, Span<byte> payload)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> dh = stackalloc byte[KeySize];
        Span<byte> tau = stackalloc byte[KeySize];
        try
        {
            ReadOnlySpan<byte> ephemeral = message[..KeySize];
            Blake2s.Hash(h, ephemeral, h);
            Kdf.Kdf1(ck, ephemeral, ck);
            if (!X25519.SharedSecret(ephemeralPrivate, ephemeral, dh)) return false;
            Kdf.Kdf1(ck, dh, ck);
            if (!X25519.SharedSecret(localStaticPrivate, ephemeral, dh)) return false;
            Kdf.Kdf1(ck, dh, ck);
            Kdf.Kdf3(ck, psk, ck, tau, key);
            Blake2s.Hash(h, tau, h);
            ReadOnlySpan<byte> encPayload = message[KeySize..];
            if (!ChaChaPoly.Open(key, 0, encPayload, h, payload)) return false;
            Blake2s.Hash(h, encPayload, h);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(dh);
            CryptographicOperations.ZeroMemory(tau);
        }
    }

    /// <summary>Split(): (T1, T2) = KDF2(ck, ε). The initiator sends with T1, the responder with T2.</summary>
    public static void Split(ReadOnlySpan<byte> ck, Span<byte> initiatorToResponder, Span<byte> responderToInitiator) =>
        Kdf.Kdf2(ck, ReadOnlySpan<byte>.Empty, initiatorToResponder, responderToInitiator);

    internal static bool IsZero(ReadOnlySpan<byte> value)
    {
        byte acc = 0;
        foreach (byte b in value) acc |= b;
        return acc == 0;
    }
}
