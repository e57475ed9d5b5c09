using System.Buffers.Binary;

namespace Overlay.Os.Tun;

/// <summary>
/// The 4-byte address-family header that macOS utun puts before every packet (net/if_utun.c,
/// utun_output/utun_ctl_send): a big-endian u32 holding the Darwin AF_ value, 2 for IPv4 and
/// 30 for IPv6. We keep it in frame headroom so it costs no copy: reads land 4 bytes before
/// the packet and the header is skipped, writes fill the 4 bytes before the packet and send
/// from there. OS-independent, so it is tested on Linux over a socketpair.
/// </summary>
internal static class UtunFraming
{
    public const int HeaderLength = 4;

    /// <summary>Darwin AF_INET / AF_INET6 as they appear in the header.</summary>
    public const uint AfInet = 2, AfInet6 = 30;

    /// <summary>The shortest frame worth handing on: header plus one byte of packet.</summary>
    public const int MinFrameLength = HeaderLength + 1;

    /// <summary>
    /// Fills <paramref name="header"/> (4 bytes) for a packet whose first byte is
    /// <paramref name="firstPacketByte"/>; false when the version nibble is neither 4 nor 6.
    /// </summary>
    public static bool TryWriteHeader(Span<byte> header, byte firstPacketByte)
    {
        uint family;
        switch (firstPacketByte >> 4)
        {
            case 4: family = AfInet; break;
            case 6: family = AfInet6; break;
            default: return false;
        }
        BinaryPrimitives.WriteUInt32BigEndian(header, family);
        return true;
    }

    /// <summary>The family in a received header (2 or 30 from a real utun).</summary>
    public static uint ReadFamily(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header);
}
