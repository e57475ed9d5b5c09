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

    /// <summary>Frames the device read but dropped as too short to hold a packet (utun), cumulative.</summary>
    long ShortFramesDropped { get; }
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
}
