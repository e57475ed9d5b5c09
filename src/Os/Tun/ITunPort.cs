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

    /// <summary>Frames the device read but dropped as unusable (too short for a packet, a bad offload header), cumulative.</summary>
    long ShortFramesDropped { get; }

    /// <summary>
    /// True while packets the device already read wait for <see cref="Read"/> (segments of a
    /// super-packet split on read); the reader drains them before yielding to other fds, since
    /// poll cannot see them.
    /// </summary>
    bool HasBuffered => false;

    /// <summary>
    /// Writes what <see cref="Write"/> held back to coalesce (tun GRO); called after each batch of
    /// datagrams and at the end of a turn. Returns the packets lost since the last call when the
    /// kernel refused a held-back write.
    /// </summary>
    int Flush() => 0;
}
