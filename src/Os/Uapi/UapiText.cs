using System.Globalization;
using System.Net;

namespace Overlay.Os.Uapi;

/// <summary>
/// The text of WireGuard's cross-platform userspace API (reference/wireguard.md §4.2-§4.5,
/// wireguard.com/xplatform): <c>key=value</c> lines, keys as lowercase hex, a reply ending in
/// <c>errno=N</c> and an empty line. Field order follows wireguard-go's <c>IpcGetOperation</c>
/// because that is what <c>wg(8)</c> is tested against.
/// </summary>
public static class UapiText
{
    /// <summary>EPERM (1, the same on Linux and macOS): a <c>set</c> is refused, configuration comes from the JSON config.</summary>
    public const int EPERM = 1;

    /// <summary>EIO (5 on Linux and macOS): the node could not be read (its loop did not answer).</summary>
    public const int EIO = 5;

    /// <summary>
    /// How much of a get reply is buffered before it is written out: 64 KiB. The reply of 130,560
    /// allowed IPs (~3 MB) is sent in ~50 such chunks from one pooled buffer, zeroed after each.
    /// </summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// The full reply to <c>get=1</c>: device fields (private_key only when known, listen_port
    /// when non-zero), then per peer public_key, preshared_key, protocol_version=1, endpoint
    /// (when known), last_handshake_time_sec/nsec (absolute Unix time, 0 = never), tx_bytes,
    /// rx_bytes, persistent_keepalive_interval, one allowed_ip per prefix; then errno=0 and
    /// the terminating empty line. Written whole into <paramref name="reply"/>, a pooled buffer the
    /// caller disposes (zeroes) after sending: the keys never pass through a string. Tests and small replies.
    /// </summary>
    public static void FormatGet(UapiDevice device, SecretReplyBuffer reply) =>
        FormatGetAsync(device, reply, null, int.MaxValue, default).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// The same reply as <see cref="FormatGet"/>, streamed to <paramref name="stream"/>: whenever
    /// <paramref name="reply"/> holds <see cref="ChunkBytes"/> it is written out and zeroed
    /// (<see cref="SecretReplyBuffer.Clear"/>), and the rest at the end.
    /// </summary>
    public static async ValueTask WriteGetAsync(UapiDevice device, SecretReplyBuffer reply, Stream stream, CancellationToken ct)
    {
        await FormatGetAsync(device, reply, stream, ChunkBytes, ct).ConfigureAwait(false);
        await FlushAsync(reply, stream, ct).ConfigureAwait(false);
    }

    private static async ValueTask FormatGetAsync(UapiDevice device, SecretReplyBuffer reply, Stream? stream, int chunkBytes, CancellationToken ct)
    {
        if (device.PrivateKey is { } sk && sk.AsSpan().ContainsAnyExcept((byte)0)) KeyLine(reply, "private_key="u8, sk);
        if (device.ListenPort != 0) NumberLine(reply, "listen_port="u8, device.ListenPort);
        if (device.Fwmark != 0) NumberLine(reply, "fwmark="u8, device.Fwmark);
        foreach (UapiPeer p in device.Peers)
        {
            PeerHeader(reply, p);
            IReadOnlyList<IPNetwork> allowed = p.AllowedIps;
            for (int i = 0; i < allowed.Count; i++)
            {
                reply.Append("allowed_ip="u8);
                reply.AppendFormatted(allowed[i]);
                reply.Append("\n"u8);
                if (reply.Length >= chunkBytes) await FlushAsync(reply, stream!, ct).ConfigureAwait(false);
            }
            if (reply.Length >= chunkBytes) await FlushAsync(reply, stream!, ct).ConfigureAwait(false);
        }
        reply.Append("errno=0\n\n"u8);
    }

    private static async ValueTask FlushAsync(SecretReplyBuffer reply, Stream stream, CancellationToken ct)
    {
        await stream.WriteAsync(reply.Written, ct).ConfigureAwait(false);
        reply.Clear();
    }

    private static void PeerHeader(SecretReplyBuffer reply, UapiPeer p)
    {
        KeyLine(reply, "public_key="u8, p.PublicKey);
        KeyLine(reply, "preshared_key="u8, p.PresharedKey);
        reply.Append("protocol_version=1\n"u8);
        if (p.Endpoint is { Length: > 0 } ep)
        {
            reply.Append("endpoint="u8);
            reply.Append(ep);
            reply.Append("\n"u8);
        }
        long sec = 0, nsec = 0;
        if (p.LastHandshake is { } hs)
        {
            long ticks = hs.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            sec = ticks / TimeSpan.TicksPerSecond;
            nsec = ticks % TimeSpan.TicksPerSecond * 100;
        }
        NumberLine(reply, "last_handshake_time_sec="u8, sec);
        NumberLine(reply, "last_handshake_time_nsec="u8, nsec);
        NumberLine(reply, "tx_bytes="u8, p.TxBytes);
        NumberLine(reply, "rx_bytes="u8, p.RxBytes);
        NumberLine(reply, "persistent_keepalive_interval="u8, p.PersistentKeepaliveInterval);
    }

    /// <summary>
    /// A failed <c>get</c>: wg parses errno there as a non-negative number and reports
    /// <c>-N</c>, so the value is the positive errno (reference/wireguard.md §4.3).
    /// </summary>
    public static string GetError(int errno) => $"errno={Num(errno)}\n\n";

    /// <summary>
    /// The reply to <c>set=1</c>: wg takes the number as its return value and prints
    /// strerror(-N), so wireguard-go sends negative errno values (§4.5); -EPERM reads
    /// "Operation not permitted".
    /// </summary>
    public static string SetError(int errno) => $"errno={Num(-errno)}\n\n";

    private static void KeyLine(SecretReplyBuffer reply, ReadOnlySpan<byte> keyEquals, ReadOnlySpan<byte> key)
    {
        reply.Append(keyEquals);
        reply.AppendHex(key);
        reply.Append("\n"u8);
    }

    private static void NumberLine(SecretReplyBuffer reply, ReadOnlySpan<byte> keyEquals, long value)
    {
        reply.Append(keyEquals);
        reply.Append(value);
        reply.Append("\n"u8);
    }

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
}
