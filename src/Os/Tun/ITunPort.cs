namespace Overlay.Os.Tun;

/// <summary>
/// The packet path's view of a tun device: the seam that lets the same packet path run over a
/// kernel tun/utun or an in-memory fake (wireguard-go's tun.Device idea). Frames carry
/// headroom before the packet so utun's 4-byte header and WireGuard's 16-byte header are
/// written in place.
/// </summary>
public interface ITunPort
{
    /// <summary>Reads one IP packet to frame[headroom..]; returns its length, 0 when none is ready.</summary>
    int Read(Span<byte> frame, int headroom);

    /// <summary>Writes frame[headroom..headroom+length]; false when the kernel refused it.</summary>
    bool Write(Span<byte> frame, int headroom, int length);

    /// <summary>Frames the device read but dropped as too short to hold a packet (utun), cumulative.</summary>
    long ShortFramesDropped { get; }
}
