using System.Globalization;
using System.Text;
using Overlay.Protocol.Config;

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
    /// The full reply to <c>get=1</c>: device fields (private_key only when known, listen_port
    /// when non-zero), then per peer public_key, preshared_key, protocol_version=1, endpoint
    /// (when known), last_handshake_time_sec/nsec (absolute Unix time, 0 = never), tx_bytes,
    /// rx_bytes, persistent_keepalive_interval, one allowed_ip per prefix; then errno=0 and
    /// the terminating empty line.
    /// </summary>
    public static string FormatGet(UapiDevice device)
    {
        var w = new StringBuilder(256 + 320 * device.Peers.Count);
        if (device.PrivateKey is { } sk && sk.AsSpan().ContainsAnyExcept((byte)0)) Line(w, "private_key", KeyEncoding.ToHex(sk));
        if (device.ListenPort != 0) Line(w, "listen_port", Num(device.ListenPort));
        if (device.Fwmark != 0) Line(w, "fwmark", Num(device.Fwmark));
        foreach (UapiPeer p in device.Peers)
        {
            Line(w, "public_key", KeyEncoding.ToHex(p.PublicKey));
            Line(w, "preshared_key", KeyEncoding.ToHex(p.PresharedKey));
            Line(w, "protocol_version", "1");
            if (p.Endpoint is { Length: > 0 } ep) Line(w, "endpoint", ep);
            long sec = 0, nsec = 0;
            if (p.LastHandshake is { } hs)
            {
                long ticks = hs.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
                sec = ticks / TimeSpan.TicksPerSecond;
                nsec = ticks % TimeSpan.TicksPerSecond * 100;
            }
            Line(w, "last_handshake_time_sec", Num(sec));
            Line(w, "last_handshake_time_nsec", Num(nsec));
            Line(w, "tx_bytes", Num(p.TxBytes));
            Line(w, "rx_bytes", Num(p.RxBytes));
            Line(w, "persistent_keepalive_interval", Num(p.PersistentKeepaliveInterval));
            foreach (string prefix in p.AllowedIps) Line(w, "allowed_ip", prefix);
        }
        w.Append("errno=0\n\n");
        return w.ToString();
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

    private static void Line(StringBuilder w, string key, string value) => w.Append(key).Append('=').Append(value).Append('\n');

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
}
