using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Messages;

/// <summary>
/// Type-4 transport data, sealed and opened in place (whitepaper §5.4.6; reference/wireguard.md §1.7).
/// A frame is <c>[16 bytes headroom][payload][tailroom ≥ padding + 16]</c>; sealing pads the payload with
/// zeros (<see cref="Padding"/>), writes the header into the headroom and encrypts with nonce = counter and
/// empty associated data, so the datagram is <c>frame[0 .. 32 + padded]</c>.
/// </summary>
public static class TransportMessages
{
    /// <summary>Returns the datagram length, or -1 when the frame has too little tailroom.</summary>
    public static int Seal(Span<byte> frame, int payloadLength, int mtu, ReadOnlySpan<byte> key,
        uint receiverIndex, ulong counter) =>
        Seal(frame, payloadLength, mtu, null, key, receiverIndex, counter);

    /// <summary>As the raw-key overload, with a session key that picks its AEAD backend by size (the data path).</summary>
    public static int Seal(Span<byte> frame, int payloadLength, int mtu, ChaChaPolyKey key,
        uint receiverIndex, ulong counter) =>
        Seal(frame, payloadLength, mtu, key, ReadOnlySpan<byte>.Empty, receiverIndex, counter);

    private static int Seal(Span<byte> frame, int payloadLength, int mtu, ChaChaPolyKey? sessionKey, ReadOnlySpan<byte> key,
        uint receiverIndex, ulong counter)
    {
        int padded = payloadLength + Padding.CalculatePaddingSize(payloadLength, mtu);
        int total = MessageLayout.TransportHeaderSize + padded + MessageLayout.TagSize;
        if (payloadLength < 0 || frame.Length < total) return -1;
        frame.Slice(MessageLayout.TransportHeaderSize + payloadLength, padded - payloadLength).Clear();
        MessageLayout.WriteTransportHeader(frame, receiverIndex, counter);
        Span<byte> body = frame.Slice(MessageLayout.TransportHeaderSize, padded + MessageLayout.TagSize);
        if (sessionKey is not null) sessionKey.Seal(counter, body[..padded], body);
        else ChaChaPoly.Seal(key, counter, body[..padded], ReadOnlySpan<byte>.Empty, body);
        return total;
    }

    /// <summary>Decrypts a whole type-4 message in place; the plaintext (still padded) starts at offset 16.</summary>
    public static bool Open(Span<byte> message, ReadOnlySpan<byte> key, ulong counter, out int plaintextLength) =>
        Open(message, null, key, counter, out plaintextLength);

    /// <summary>As the raw-key overload, with a session key that picks its AEAD backend by size (the data path).</summary>
    public static bool Open(Span<byte> message, ChaChaPolyKey key, ulong counter, out int plaintextLength) =>
        Open(message, key, ReadOnlySpan<byte>.Empty, counter, out plaintextLength);

    private static bool Open(Span<byte> message, ChaChaPolyKey? sessionKey, ReadOnlySpan<byte> key, ulong counter, out int plaintextLength)
    {
        int ciphertextLength = message.Length - MessageLayout.TransportHeaderSize;
        plaintextLength = ciphertextLength - MessageLayout.TagSize;
        if (plaintextLength < 0) return false;
        Span<byte> body = message.Slice(MessageLayout.TransportHeaderSize, ciphertextLength);
        return sessionKey is not null
            ? sessionKey.Open(counter, body, body[..plaintextLength])
            : ChaChaPoly.Open(key, counter, body, ReadOnlySpan<byte>.Empty, body[..plaintextLength]);
    }
}
