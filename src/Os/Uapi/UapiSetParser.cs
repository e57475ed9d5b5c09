using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Overlay.Protocol;
using Overlay.Protocol.Config;

namespace Overlay.Os.Uapi;

/// <summary>
/// Parses the lines of a UAPI <c>set=1</c> request (without the <c>set=1</c> line and the closing
/// empty line) into a <see cref="UapiSetRequest"/>, with wireguard-go's errno for each fault
/// (reference/wireguard.md §4.4, §4.5): a line that is not <c>key=value</c> is EPROTO; an unknown
/// key, a malformed value, a flag other than <c>true</c> or a protocol_version other than 1 is
/// EINVAL. Device keys are honoured only before the first <c>public_key</c>; a section whose
/// public key is the device's own (the new private key's, else the running one's) is parsed and
/// dropped, as wireguard-go's dummy peer. Pure: no kernel, no engine.
/// </summary>
public static class UapiSetParser
{
    /// <summary>
    /// Returns true and the request, or false with the errno (positive) and a message naming the
    /// line. <paramref name="ownPublicKey"/> is the running device's public key, or empty.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> lines, ReadOnlySpan<byte> ownPublicKey,
        out UapiSetRequest request, out int errno, out string error)
    {
        request = new UapiSetRequest();
        errno = 0;
        error = "";
        UapiPeerChange? peer = null;
        bool dummy = false;
        byte[] own = ownPublicKey.ToArray();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            int eq = line.IndexOf('=');
            if (eq <= 0)
                return Fail(request, UapiErrno.EPROTO, $"line {i + 1}: '{Clip(line)}' is not key=value", out errno, out error);
            string key = line[..eq], value = line[(eq + 1)..];
            string? bad;
            if (key == "public_key")
            {
                if (!TryKey(value, out byte[] pub)) return Fail(request, UapiErrno.EINVAL, $"line {i + 1}: public_key: not 64 hex digits", out errno, out error);
                if (request.PrivateKey is { } sk) own = PublicOf(sk);
                dummy = own.Length == 32 && pub.AsSpan().SequenceEqual(own);
                peer = new UapiPeerChange { PublicKey = pub };
                (dummy ? request.Dropped : request.Peers).Add(peer);
                continue;
            }
            bad = peer is null ? DeviceLine(request, key, value) : PeerLine(peer, key, value);
            if (bad is not null) return Fail(request, UapiErrno.EINVAL, $"line {i + 1}: {bad}", out errno, out error);
        }
        return true;
    }

    private static string? DeviceLine(UapiSetRequest r, string key, string value)
    {
        switch (key)
        {
            case "private_key":
                if (!TryKey(value, out byte[] sk)) return "private_key: not 64 hex digits";
                if (r.PrivateKey is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(r.PrivateKey);
                r.PrivateKey = sk;
                return null;
            case "listen_port":
                if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port)) return $"listen_port: '{Clip(value)}' is not 0..65535";
                r.ListenPort = port;
                return null;
            case "fwmark":
                // wg sends fwmark=0 to clear it; wireguard-go also accepts an empty value for 0.
                if (value.Length == 0) { r.Fwmark = 0; return null; }
                if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint mark)) return $"fwmark: '{Clip(value)}' is not a 32-bit number";
                r.Fwmark = mark;
                return null;
            case "replace_peers":
                if (value != "true") return "replace_peers: only 'true' is allowed";
                r.ReplacePeers = true;
                return null;
            default:
                return $"'{Clip(key)}' is not a device key (private_key, listen_port, fwmark, replace_peers, public_key)";
        }
    }

    private static string? PeerLine(UapiPeerChange p, string key, string value)
    {
        switch (key)
        {
            case "update_only":
                if (value != "true") return "update_only: only 'true' is allowed";
                p.UpdateOnly = true;
                return null;
            case "remove":
                if (value != "true") return "remove: only 'true' is allowed";
                p.Remove = true;
                return null;
            case "preshared_key":
                if (!TryKey(value, out byte[] psk)) return "preshared_key: not 64 hex digits";
                if (p.PresharedKey is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(p.PresharedKey);
                p.PresharedKey = psk;
                return null;
            case "endpoint":
                if (!TryEndpoint(value, out UdpEndpoint ep)) return $"endpoint: '{Clip(value)}' is not IP:port or [IPv6]:port";
                p.Endpoint = ep;
                return null;
            case "persistent_keepalive_interval":
                if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort secs)) return $"persistent_keepalive_interval: '{Clip(value)}' is not 0..65535";
                p.PersistentKeepaliveInterval = secs;
                return null;
            case "replace_allowed_ips":
                if (value != "true") return "replace_allowed_ips: only 'true' is allowed";
                p.ReplaceAllowedIps = true;
                return null;
            case "allowed_ip":
                bool remove = value.StartsWith('-');
                if (!TryPrefix(remove ? value[1..] : value, out IPNetwork prefix)) return $"allowed_ip: '{Clip(value)}' is not a prefix (address/length)";
                p.AllowedIps.Add(new UapiAllowedIpChange(prefix, remove));
                return null;
            case "protocol_version":
                if (value != "1") return $"protocol_version: '{Clip(value)}' is not supported (only 1)";
                return null;
            default:
                return $"'{Clip(key)}' is not a peer key";
        }
    }

    /// <summary>An <c>address/length</c> prefix, masked to its length (wireguard-go stores <c>prefix.Masked()</c>).</summary>
    public static bool TryPrefix(string text, out IPNetwork prefix)
    {
        prefix = default;
        int slash = text.IndexOf('/');
        if (slash <= 0) return false;
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? address)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) return false;
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int len) || len > max) return false;
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        b = b[..n];
        for (int bit = len; bit < n * 8; bit++) b[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        prefix = new IPNetwork(new IPAddress(b), len);
        return true;
    }

    /// <summary><c>IPv4:port</c> or <c>[IPv6]:port</c>, numeric (wg resolves names before it sends).</summary>
    public static bool TryEndpoint(string text, out UdpEndpoint endpoint)
    {
        endpoint = default;
        if (!IPEndPoint.TryParse(text, out IPEndPoint? ep) || ep.Port == 0) return false;
        bool v6 = ep.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6 != text.StartsWith('[')) return false;
        IPAddress address = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        endpoint = UdpEndpoint.From(new IPEndPoint(address, ep.Port));
        return true;
    }

    private static bool TryKey(string hex, out byte[] key)
    {
        key = [];
        if (hex.Length != 64) return false;
        if (!KeyEncoding.TryParseHex(hex, out byte[] bytes) || bytes.Length != 32) return false;
        key = bytes;
        return true;
    }

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

    private static string Clip(string s) => s.Length > 48 ? s[..48] + "..." : s;
}
