using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Overlay.Protocol;
using Overlay.Protocol.Config;

namespace Overlay.Os.Uapi;

/// <summary>
/// Parses the body of a UAPI <c>set=1</c> request (its lines as received, each ended by '\n', without
/// the <c>set=1</c> line and the closing empty line) into a <see cref="UapiSetRequest"/>, with
/// wireguard-go's errno for each fault (reference/wireguard.md §4.4, §4.5): a line that is not
/// <c>key=value</c> is EPROTO; an unknown key, a malformed value, a flag other than <c>true</c> or a
/// protocol_version other than 1 is EINVAL. Device keys are honoured only before the first
/// <c>public_key</c>; a section whose public key is the device's own (the new private key's, else the
/// running one's) is parsed and dropped, as wireguard-go's dummy peer. Pure: no kernel, no engine.
/// <para>
/// The parser reads bytes, never strings: <c>private_key</c> and <c>preshared_key</c> go from the
/// received hex straight into the request's buffers, which <see cref="UapiSetRequest.Dispose"/> zeroes,
/// so no immutable .NET string ever holds a key (issue 15; the get path is string-free the same way).
/// Error messages quote values of other keys only, never a key's value.
/// </para>
/// </summary>
public static class UapiSetParser
{
    /// <summary>
    /// Returns true and the request, or false with the errno (positive) and a message naming the
    /// line. <paramref name="ownPublicKey"/> is the running device's public key, or empty.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, ReadOnlySpan<byte> ownPublicKey,
        out UapiSetRequest request, out int errno, out string error)
    {
        request = new UapiSetRequest();
        errno = 0;
        error = "";
        UapiPeerChange? peer = null;
        byte[] own = ownPublicKey.ToArray();
        int number = 0;
        while (body.Length > 0)
        {
            int nl = body.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? body : body[..nl];
            body = nl < 0 ? [] : body[(nl + 1)..];
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
            number++;
            int eq = line.IndexOf((byte)'=');
            if (eq <= 0)
                return Fail(request, UapiErrno.EPROTO, $"line {number}: '{Clip(line)}' is not key=value", out errno, out error);
            ReadOnlySpan<byte> key = line[..eq], value = line[(eq + 1)..];
            if (key.SequenceEqual("public_key"u8))
            {
                byte[] pub = new byte[32];
                if (!TryKey(value, pub)) return Fail(request, UapiErrno.EINVAL, $"line {number}: public_key: not 64 hex digits", out errno, out error);
                if (request.PrivateKey is { } sk) own = PublicOf(sk);
                bool dummy = own.Length == 32 && pub.AsSpan().SequenceEqual(own);
                peer = new UapiPeerChange { PublicKey = pub };
                (dummy ? request.Dropped : request.Peers).Add(peer);
                continue;
            }
            string? bad = peer is null ? DeviceLine(request, key, value) : PeerLine(peer, key, value);
            if (bad is not null) return Fail(request, UapiErrno.EINVAL, $"line {number}: {bad}", out errno, out error);
        }
        return true;
    }

    private static string? DeviceLine(UapiSetRequest r, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.SequenceEqual("private_key"u8))
        {
            r.PrivateKey ??= new byte[32];
            if (!TryKey(value, r.PrivateKey)) return "private_key: not 64 hex digits";
            return null;
        }
        if (key.SequenceEqual("listen_port"u8))
        {
            if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port)) return $"listen_port: '{Clip(value)}' is not 0..65535";
            r.ListenPort = port;
            return null;
        }
        if (key.SequenceEqual("fwmark"u8))
        {
            // wg sends fwmark=0 to clear it; wireguard-go also accepts an empty value for 0.
            if (value.Length == 0) { r.Fwmark = 0; return null; }
            if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint mark)) return $"fwmark: '{Clip(value)}' is not a 32-bit number";
            r.Fwmark = mark;
            return null;
        }
        if (key.SequenceEqual("replace_peers"u8))
        {
            if (!value.SequenceEqual("true"u8)) return "replace_peers: only 'true' is allowed";
            r.ReplacePeers = true;
            return null;
        }
        return $"'{Clip(key)}' is not a device key (private_key, listen_port, fwmark, replace_peers, public_key)";
    }

    private static string? PeerLine(UapiPeerChange p, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.SequenceEqual("allowed_ip"u8))   // the common line first: 130,560 of them in netns.sh's set
        {
            bool remove = value.Length > 0 && value[0] == (byte)'-';
            if (!TryPrefix(remove ? value[1..] : value, out IPNetwork prefix)) return $"allowed_ip: '{Clip(value)}' is not a prefix (address/length)";
            p.AllowedIps.Add(new UapiAllowedIpChange(prefix, remove));
            return null;
        }
        if (key.SequenceEqual("update_only"u8))
        {
            if (!value.SequenceEqual("true"u8)) return "update_only: only 'true' is allowed";
            p.UpdateOnly = true;
            return null;
        }
        if (key.SequenceEqual("remove"u8))
        {
            if (!value.SequenceEqual("true"u8)) return "remove: only 'true' is allowed";
            p.Remove = true;
            return null;
        }
        if (key.SequenceEqual("preshared_key"u8))
        {
            p.PresharedKey ??= new byte[32];
            if (!TryKey(value, p.PresharedKey)) return "preshared_key: not 64 hex digits";
            return null;
        }
        if (key.SequenceEqual("endpoint"u8))
        {
            if (!TryEndpoint(value, out UdpEndpoint ep)) return $"endpoint: '{Clip(value)}' is not IP:port or [IPv6]:port";
            p.Endpoint = ep;
            return null;
        }
        if (key.SequenceEqual("persistent_keepalive_interval"u8))
        {
            if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort secs)) return $"persistent_keepalive_interval: '{Clip(value)}' is not 0..65535";
            p.PersistentKeepaliveInterval = secs;
            return null;
        }
        if (key.SequenceEqual("replace_allowed_ips"u8))
        {
            if (!value.SequenceEqual("true"u8)) return "replace_allowed_ips: only 'true' is allowed";
            p.ReplaceAllowedIps = true;
            return null;
        }
        if (key.SequenceEqual("protocol_version"u8))
        {
            if (!value.SequenceEqual("1"u8)) return $"protocol_version: '{Clip(value)}' is not supported (only 1)";
            return null;
        }
        return $"'{Clip(key)}' is not a peer key";
    }

    /// <summary>An <c>address/length</c> prefix, masked to its length (wireguard-go stores <c>prefix.Masked()</c>).</summary>
    public static bool TryPrefix(string text, out IPNetwork prefix) => TryPrefix(Encoding.ASCII.GetBytes(text), out prefix);

    /// <inheritdoc cref="TryPrefix(string, out IPNetwork)"/>
    public static bool TryPrefix(ReadOnlySpan<byte> text, out IPNetwork prefix)
    {
        prefix = default;
        int slash = text.IndexOf((byte)'/');
        if (slash <= 0 || slash > 45) return false;   // 45: the longest IPv6 text (with an embedded IPv4)
        if (!IPAddress.TryParse(text[..slash], out IPAddress? address)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) return false;
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int len) || len > max) return false;
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        b = b[..n];
        bool masked = false;
        for (int bit = len; bit < n * 8; bit++)
        {
            byte m = (byte)~(0x80 >> (bit % 8));
            if ((b[bit / 8] & ~m) != 0) masked = true;
            b[bit / 8] &= m;
        }
        prefix = new IPNetwork(masked ? new IPAddress(b) : address, len);
        return true;
    }

    /// <summary><c>IPv4:port</c> or <c>[IPv6]:port</c>, numeric (wg resolves names before it sends).</summary>
    public static bool TryEndpoint(string text, out UdpEndpoint endpoint) => TryEndpoint(Encoding.ASCII.GetBytes(text), out endpoint);

    /// <inheritdoc cref="TryEndpoint(string, out UdpEndpoint)"/>
    public static bool TryEndpoint(ReadOnlySpan<byte> text, out UdpEndpoint endpoint)
    {
        endpoint = default;
        if (text.Length is 0 or > 64) return false;
        Span<char> chars = stackalloc char[text.Length];
        for (int i = 0; i < text.Length; i++) chars[i] = (char)text[i];
        if (!IPEndPoint.TryParse(chars, out IPEndPoint? ep) || ep.Port == 0) return false;
        bool v6 = ep.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6 != (text[0] == (byte)'[')) return false;
        IPAddress address = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        endpoint = UdpEndpoint.From(new IPEndPoint(address, ep.Port));
        return true;
    }

    /// <summary>64 hex digits into <paramref name="key"/> (32 bytes), digit by digit; on failure the buffer is zeroed.</summary>
    internal static bool TryKey(ReadOnlySpan<byte> hex, Span<byte> key)
    {
        if (hex.Length != 64) return false;
        for (int i = 0; i < 32; i++)
        {
            int hi = Nibble(hex[2 * i]), lo = Nibble(hex[2 * i + 1]);
            if ((hi | lo) < 0)
            {
                CryptographicOperations.ZeroMemory(key);
                return false;
            }
            key[i] = (byte)(hi << 4 | lo);
        }
        return true;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static byte[] PublicOf(byte[] privateKey)
    {
        if (KeyEncoding.IsAllZero(privateKey)) return [];
        var id = new Overlay.Protocol.Engine.LocalIdentity(privateKey);
        byte[] pub = id.PublicKey.ToArray();
        id.ZeroKeys();
        return pub;
    }

    private static bool Fail(UapiSetRequest r, int code, string message, out int errno, out string error)
    {
        r.Dispose();
        errno = code;
        error = message;
        return false;
    }

    /// <summary>Printable ASCII of a non-secret value for a message, cut at 48 characters.</summary>
    private static string Clip(ReadOnlySpan<byte> s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 48) + 3);
        for (int i = 0; i < s.Length && i < 48; i++) sb.Append(s[i] is >= 0x20 and < 0x7f ? (char)s[i] : '?');
        if (s.Length > 48) sb.Append("...");
        return sb.ToString();
    }
}
