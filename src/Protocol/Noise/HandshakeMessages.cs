using Overlay.Protocol.Messages;

namespace Overlay.Protocol.Noise;

/// <summary>
/// Assembles and parses the WireGuard handshake messages around the Noise core (whitepaper §5.4.2–§5.4.5;
/// reference/wireguard.md §1.3–§1.4): header and indices, then <see cref="NoiseIK"/> on the Noise part
/// (initiation bytes 8..116, response bytes 12..60). mac1/mac2 are added afterwards by
/// <see cref="CookieGenerator.AddMacs"/>. Ephemeral keys, indices and the timestamp are inputs, so the
/// engine passes fresh random values and tests pass vector values.
/// </summary>
public static class HandshakeMessages
{
    private const int InitNoiseLength = 32 + 48 + 28;   // 108
    private const int RespNoiseLength = 32 + 16;        // 48

    public static bool CreateInitiation(Span<byte> message, uint senderIndex, ReadOnlySpan<byte> ephemeralPrivate,
        ReadOnlySpan<byte> localStaticPublic, ReadOnlySpan<byte> remoteStatic, ReadOnlySpan<byte> staticStatic,
        ReadOnlySpan<byte> timestamp, Span<byte> ck, Span<byte> h)
    {
        message = message[..MessageLayout.InitiationSize];
        message.Clear();
        MessageLayout.WriteHeader(message, MessageType.HandshakeInitiation);
        MessageLayout.WriteIndex(message, MessageLayout.InitSenderOffset, senderIndex);
        NoiseIK.InitializeWireGuard(remoteStatic, ck, h);
        return NoiseIK.WriteMessage1(ck, h, ephemeralPrivate, localStaticPublic, remoteStatic, staticStatic,
            timestamp[..Tai64N.Size], message.Slice(MessageLayout.InitEphemeralOffset, InitNoiseLength));
    }

    /// <summary>Responder: decrypts the initiator's static key (first half of message 1).</summary>
    public static bool ConsumeInitiationStatic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> localStaticPrivate,
        ReadOnlySpan<byte> localStaticPublic, Span<byte> ck, Span<byte> h, Span<byte> remoteEphemeral, Span<byte> remoteStatic)
    {
        NoiseIK.InitializeWireGuard(localStaticPublic, ck, h);
        return NoiseIK.ReadMessage1Static(ck, h, localStaticPrivate,
            message.Slice(MessageLayout.InitEphemeralOffset, InitNoiseLength), remoteEphemeral, remoteStatic);
    }

    /// <summary>Responder: decrypts the TAI64N timestamp with DH(s_r, S_i) (second half of message 1).</summary>
    public static bool ConsumeInitiationTimestamp(ReadOnlySpan<byte> message, ReadOnlySpan<byte> staticStatic,
        Span<byte> ck, Span<byte> h, Span<byte> timestamp) =>
        NoiseIK.ReadMessage1Payload(ck, h, staticStatic,
            message.Slice(MessageLayout.InitEphemeralOffset, InitNoiseLength), timestamp[..Tai64N.Size]);

    public static bool CreateResponse(Span<byte> message, uint senderIndex, uint receiverIndex,
        ReadOnlySpan<byte> ephemeralPrivate, ReadOnlySpan<byte> remoteEphemeral, ReadOnlySpan<byte> remoteStatic,
        ReadOnlySpan<byte> psk, Span<byte> ck, Span<byte> h)
    {
        message = message[..MessageLayout.ResponseSize];
        message.Clear();
        MessageLayout.WriteHeader(message, MessageType.HandshakeResponse);
        MessageLayout.WriteIndex(message, MessageLayout.RespSenderOffset, senderIndex);
        MessageLayout.WriteIndex(message, MessageLayout.RespReceiverOffset, receiverIndex);
        return NoiseIK.WriteMessage2(ck, h, ephemeralPrivate, remoteEphemeral, remoteStatic, psk,
            ReadOnlySpan<byte>.Empty, message.Slice(MessageLayout.RespEphemeralOffset, RespNoiseLength));
    }

    public static bool ConsumeResponse(ReadOnlySpan<byte> message, ReadOnlySpan<byte> ephemeralPrivate,
        ReadOnlySpan<byte> localStaticPrivate, ReadOnlySpan<byte> psk, Span<byte> ck, Span<byte> h) =>
        NoiseIK.ReadMessage2(ck, h, ephemeralPrivate, localStaticPrivate, psk,
            message.Slice(MessageLayout.RespEphemeralOffset, RespNoiseLength), Span<byte>.Empty);

    /// <summary>Transport keys from the final chaining key: initiator send = T1, receive = T2; responder the reverse.</summary>
    public static void DeriveKeys(ReadOnlySpan<byte> ck, bool isInitiator, Span<byte> sendKey, Span<byte> receiveKey)
    {
        if (isInitiator) NoiseIK.Split(ck, sendKey, receiveKey);
        else NoiseIK.Split(ck, receiveKey, sendKey);
    }
}
