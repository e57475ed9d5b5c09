namespace Overlay.Protocol.Messages;

/// <summary>
/// Transport plaintext padding (whitepaper §5.4.6; wireguard-go <c>calculatePaddingSize</c>, kernel
/// <c>calculate_skb_padding</c>): pad to a multiple of 16 but never past the tunnel MTU. A packet larger
/// than the MTU pads only its last MTU-sized unit. A keepalive (length 0) gets no padding.
/// </summary>
public static class Padding
{
    public const int Multiple = 16;

    public static int CalculatePaddingSize(int packetLength, int mtu)
    {
        int last = packetLength;
        if (mtu == 0)
            return ((last + Multiple - 1) & ~(Multiple - 1)) - last;
        if (last > mtu) last %= mtu;
        int padded = (last + Multiple - 1) & ~(Multiple - 1);
        if (padded > mtu) padded = mtu;
        return padded - last;
    }
}
