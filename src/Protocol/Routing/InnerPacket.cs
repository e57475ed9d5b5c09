namespace Overlay.Protocol.Routing;

/// <summary>
/// Reads the addresses of a plaintext inner IP packet in place. IPv4 (RFC 791 §3.1): version
/// nibble 4, header ≥ 20 bytes, source at 12..16, destination at 16..20. IPv6 (RFC 8200 §3):
/// version 6, header 40 bytes, source at 8..24, destination at 24..40. Anything else is not IP
/// and the caller drops it (<c>not_ip</c>).
/// </summary>
public static class InnerPacket
{
    public const int IPv4HeaderMin = 20;
    public const int IPv6Header = 40;

    /// <summary>4 or 6 from the version nibble when the packet is long enough for that header; else 0.</summary>
    public static int Version(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty) return 0;
        int v = packet[0] >> 4;
        if (v == 4 && packet.Length >= IPv4HeaderMin) return 4;
        if (v == 6 && packet.Length >= IPv6Header) return 6;
        return 0;
    }

    public static bool TryGetSource(ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> source)
    {
        switch (Version(packet))
        {
            case 4: source = packet.Slice(12, 4); return true;
            case 6: source = packet.Slice(8, 16); return true;
            default: source = default; return false;
        }
    }

    public static bool TryGetDestination(ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> destination)
    {
        switch (Version(packet))
        {
            case 4: destination = packet.Slice(16, 4); return true;
            case 6: destination = packet.Slice(24, 16); return true;
            default: destination = default; return false;
        }
    }

    /// <summary>
    /// The packet length its header claims: IPv4 total length (bytes 2..4), IPv6 payload length
    /// (bytes 4..6) + 40; 0 when not IP. The engine compares it with what the tun or the
    /// decryption produced (WireGuard trims the zero padding by this length, §5.4.6).
    /// </summary>
    public static int DeclaredLength(ReadOnlySpan<byte> packet) => Version(packet) switch
    {
        4 => (packet[2] << 8) | packet[3],
        6 => ((packet[4] << 8) | packet[5]) + IPv6Header,
        _ => 0,
    };
}
