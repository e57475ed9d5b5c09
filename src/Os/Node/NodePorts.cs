using Overlay.Os.Udp;

namespace Overlay.Os.Node;

/// <summary>
/// The node's view of its tun device: the seam that lets the same packet path run over a
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

/// <summary>The node's view of one UDP socket: batched receive and send (conn.Bind's idea).</summary>
public interface IUdpPort
{
    /// <summary>Fills the batch (Count, Length, Endpoint per entry); returns Count, 0 when none is ready.</summary>
    int ReceiveBatch(DatagramBatch batch);

    /// <summary>Sends batch entries [0, Count); returns how many were handed to the kernel.</summary>
    int SendBatch(DatagramBatch batch);

    /// <summary>The bound local port (for the ready banner and status).</summary>
    int LocalPort { get; }

    /// <summary>Datagrams the kernel refused on send (each counted once), cumulative.</summary>
    long SendErrors { get; }

    /// <summary>Datagrams received too large for a frame and dropped, cumulative.</summary>
    long ReceiveTruncated { get; }

    /// <summary>
    /// True while datagrams the socket already received wait for <see cref="ReceiveBatch"/> (the
    /// rest of a UDP GRO message); the reader drains them before yielding, since poll cannot see them.
    /// </summary>
    bool HasBuffered => false;
}
