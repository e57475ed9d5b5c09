namespace Overlay.Os.Udp;

/// <summary>The packet path's view of one UDP socket: batched receive and send (conn.Bind's idea).</summary>
public interface IUdpPort
{
    /// <summary>
    /// Fills the batch (Count, Length, Endpoint and Local, the address each datagram was sent to or none, per
    /// entry); returns Count, 0 when none is ready.
    /// </summary>
    int ReceiveBatch(DatagramBatch batch);

    /// <summary>
    /// Sends batch entries [0, Count), each from its Local source when it has one; a source the kernel refuses
    /// is dropped, the entry sent without it and marked (<see cref="DatagramBatch.LocalRefused"/>). Returns how
    /// many were handed to the kernel.
    /// </summary>
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
