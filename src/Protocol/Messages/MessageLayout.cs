using System.Buffers.Binary;

namespace Overlay.Protocol.Messages;

/// <summary>
/// WireGuard v1 message types and byte layouts (reference/wireguard.md §1.3; whitepaper §5.4).
/// Every message starts with <c>type (u8) ‖ 3 zero bytes</c>, read as one little-endian u32 so a
/// non-zero reserved byte makes the type unknown, as wireguard-go and the kernel do.
/// Sizes: initiation 148, response 92, cookie reply 64 (all exact), transport 32 + n.
/// </summary>
public enum MessageType : uint
{
    None = 0,
    HandshakeInitiation = 1,
    HandshakeResponse = 2,
    CookieReply = 3,
    TransportData = 4,
}

public static class MessageLayout
{
    public const int InitiationSize = 148;
    public const int ResponseSize = 92;
    public const int CookieReplySize = 64;
    public const int TransportHeaderSize = 16;
    /// <summary>Header plus the AEAD tag: the size of a keepalive (empty plaintext).</summary>
    public const int TransportMinSize = 32;
    public const int KeepaliveSize = TransportMinSize;
    public const int TagSize = 16;
    public const int MacSize = 16;
    public const int KeySize = 32;
    public const int TimestampSize = 12;

    // Initiation (type 1).
    public const int InitSenderOffset = 4;
    public const int InitEphemeralOffset = 8;
    public const int InitStaticOffset = 40;        // 32 + 16 tag
    public const int InitStaticLength = 48;
    public const int InitTimestampOffset = 88;     // 12 + 16 tag
    public const int InitTimestampLength = 28;
    public const int InitMac1Offset = 116;
    public const int InitMac2Offset = 132;

    // Response (type 2).
    public const int RespSenderOffset = 4;
    public const int RespReceiverOffset = 8;
    public const int RespEphemeralOffset = 12;
    public const int RespEmptyOffset = 44;         // tag only
    public const int RespEmptyLength = 16;
    public const int RespMac1Offset = 60;
    public const int RespMac2Offset = 76;

    // Cookie reply (type 3).
    public const int CookieReceiverOffset = 4;
    public const int CookieNonceOffset = 8;
    public const int CookieNonceLength = 24;
    public const int CookieEncryptedOffset = 32;   // 16 + 16 tag
    public const int CookieEncryptedLength = 32;

    // Transport (type 4).
    public const int TransportReceiverOffset = 4;
    public const int TransportCounterOffset = 8;
    public const int TransportPayloadOffset = 16;

    /// <summary>
    /// Classifies a datagram by its first four bytes and its length. Returns <see cref="MessageType.None"/>
    /// when it is too short, the type is unknown (including non-zero reserved bytes), or the length is
    /// wrong for its type: exact for types 1–3, at least 32 for type 4.
    /// </summary>
    public static MessageType Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 4) return MessageType.None;
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        return type switch
        {
            1 when datagram.Length == InitiationSize => MessageType.HandshakeInitiation,
            2 when datagram.Length == ResponseSize => MessageType.HandshakeResponse,
            3 when datagram.Length == CookieReplySize => MessageType.CookieReply,
            4 when datagram.Length >= TransportMinSize => MessageType.TransportData,
            _ => MessageType.None,
        };
    }

    public static void WriteHeader(Span<byte> message, MessageType type) =>
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)type);

    public static uint ReadIndex(ReadOnlySpan<byte> message, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(message[offset..]);

    public static void WriteIndex(Span<byte> message, int offset, uint index) =>
        BinaryPrimitives.WriteUInt32LittleEndian(message[offset..], index);

    public static ulong ReadCounter(ReadOnlySpan<byte> message) =>
        BinaryPrimitives.ReadUInt64LittleEndian(message[TransportCounterOffset..]);

    /// <summary>Writes the 16-byte transport header: type 4, receiver index, counter (LE).</summary>
    public static void WriteTransportHeader(Span<byte> message, uint receiverIndex, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)MessageType.TransportData);
        BinaryPrimitives.WriteUInt32LittleEndian(message[TransportReceiverOffset..], receiverIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(message[TransportCounterOffset..], counter);
    }

    /// <summary>The offset of mac1 in a type-1 or type-2 message (length − 32).</summary>
    public static int Mac1Offset(int messageLength) => messageLength - 2 * MacSize;

    /// <summary>The offset of mac2 in a type-1 or type-2 message (length − 16).</summary>
    public static int Mac2Offset(int messageLength) => messageLength - MacSize;
}
