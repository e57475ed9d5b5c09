using Overlay.Protocol.Messages;

namespace Overlay.Protocol.Tests.Messages;

public class MessageLayoutTests
{
    private static byte[] Message(uint type, int length)
    {
        var b = new byte[length];
        if (length >= 4) MessageLayout.WriteHeader(b, (MessageType)type);
        return b;
    }

    /// <summary>Sizes from whitepaper §5.4 / wireguard-go messages.go: types 1–3 exact, type 4 at least 32.</summary>
    [Theory]
    [InlineData(1u, 148, MessageType.HandshakeInitiation)]
    [InlineData(1u, 147, MessageType.None)]
    [InlineData(1u, 149, MessageType.None)]
    [InlineData(2u, 92, MessageType.HandshakeResponse)]
    [InlineData(2u, 93, MessageType.None)]
    [InlineData(2u, 148, MessageType.None)]
    [InlineData(3u, 64, MessageType.CookieReply)]
    [InlineData(3u, 63, MessageType.None)]
    [InlineData(4u, 32, MessageType.TransportData)]
    [InlineData(4u, 1500, MessageType.TransportData)]
    [InlineData(4u, 31, MessageType.None)]
    [InlineData(5u, 148, MessageType.None)]
    [InlineData(0u, 148, MessageType.None)]
    [InlineData(1u, 3, MessageType.None)]
    public void Classify_TypeAndLength_ExpectedType(uint type, int length, MessageType expected) =>
        Assert.Equal(expected, MessageLayout.Classify(Message(type, length)));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Classify_NonZeroReservedByte_None(int reservedOffset)
    {
        byte[] m = Message(4, 64);
        m[reservedOffset] = 1;
        Assert.Equal(MessageType.None, MessageLayout.Classify(m));
    }

    [Fact]
    public void Offsets_Initiation_AddUpTo148()
    {
        Assert.Equal(MessageLayout.InitEphemeralOffset + 32, MessageLayout.InitStaticOffset);
        Assert.Equal(MessageLayout.InitStaticOffset + MessageLayout.InitStaticLength, MessageLayout.InitTimestampOffset);
        Assert.Equal(MessageLayout.InitTimestampOffset + MessageLayout.InitTimestampLength, MessageLayout.InitMac1Offset);
        Assert.Equal(MessageLayout.InitMac1Offset, MessageLayout.Mac1Offset(MessageLayout.InitiationSize));
        Assert.Equal(MessageLayout.InitMac2Offset, MessageLayout.Mac2Offset(MessageLayout.InitiationSize));
        Assert.Equal(MessageLayout.RespMac1Offset, MessageLayout.Mac1Offset(MessageLayout.ResponseSize));
        Assert.Equal(MessageLayout.RespMac2Offset, MessageLayout.Mac2Offset(MessageLayout.ResponseSize));
        Assert.Equal(MessageLayout.RespEmptyOffset + MessageLayout.RespEmptyLength, MessageLayout.RespMac1Offset);
        Assert.Equal(MessageLayout.CookieEncryptedOffset + MessageLayout.CookieEncryptedLength, MessageLayout.CookieReplySize);
    }

    [Fact]
    public void WriteTransportHeader_Values_LittleEndianLayout()
    {
        var b = new byte[16];
        MessageLayout.WriteTransportHeader(b, 0x11223344, 0x0102030405060708);
        Assert.Equal("04000000443322110807060504030201", Convert.ToHexStringLower(b));
        Assert.Equal(0x11223344u, MessageLayout.ReadIndex(b, 4));
        Assert.Equal(0x0102030405060708UL, MessageLayout.ReadCounter(b));
    }

    /// <summary>
    /// calculatePaddingSize (wireguard-go send.go, kernel calculate_skb_padding); the 84 → 96 and 36 → 48 rows
    /// are what wireguard-go did live (reference/wireguard.md §1.7).
    /// </summary>
    [Theory]
    [InlineData(0, 1420, 0)]
    [InlineData(1, 1420, 15)]
    [InlineData(16, 1420, 0)]
    [InlineData(20, 1420, 12)]
    [InlineData(36, 1420, 12)]
    [InlineData(84, 1420, 12)]
    [InlineData(1419, 1420, 1)]
    [InlineData(1420, 1420, 0)]
    [InlineData(1418, 1419, 1)]
    [InlineData(1500, 1420, 0)]
    [InlineData(1501, 1420, 15)]
    [InlineData(84, 0, 12)]
    [InlineData(1415, 1420, 5)]
    public void CalculatePaddingSize_LengthAndMtu_Expected(int length, int mtu, int expected) =>
        Assert.Equal(expected, Padding.CalculatePaddingSize(length, mtu));

    [Fact]
    public void Seal_FrameTooSmall_ReturnsMinusOne()
    {
        var frame = new byte[16 + 20 + 16]; // no room for 12 bytes of padding
        Assert.Equal(-1, TransportMessages.Seal(frame, 20, 1420, new byte[32], 1, 0));
    }

    [Fact]
    public void Open_TamperedCiphertext_ReturnsFalse()
    {
        var key = new byte[32];
        key[0] = 7;
        var frame = new byte[16 + 32 + 16];
        int n = TransportMessages.Seal(frame, 32, 1420, key, 9, 5);
        frame[20] ^= 0x80;
        Assert.False(TransportMessages.Open(frame.AsSpan(0, n), key, 5, out _));
    }
}
