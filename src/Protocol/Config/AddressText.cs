using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Protocol.Config;

/// <summary>
/// Strict parsing of the address forms the config uses. <see cref="IPAddress.TryParse(string, out IPAddress)"/>
/// alone is too lenient for a config file (it takes "10.1" as 10.0.0.1 and accepts scope ids),
/// so IPv4 must be four dotted decimals and IPv6 must contain ':' and no '%zone'.
/// </summary>
public static class AddressText
{
    /// <summary>Parses a strict IPv4 dotted quad or an IPv6 literal (no brackets, no zone).</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Length == 0 || text.Length > 45) return false;
        if (text.Contains(':'))
        {
            if (text.Contains('%')) return false;
            foreach (char c in text)
                if (!(char.IsAsciiHexDigit(c) || c == ':' || c == '.')) return false;
            if (!IPAddress.TryParse(text, out var a) || a.AddressFamily != AddressFamily.InterNetworkV6) return false;
            address = a;
            return true;
        }
        string[] parts = text.Split('.');
        if (parts.Length != 4) return false;
        foreach (string p in parts)
        {
            if (p.Length is 0 or > 3) return false;
            foreach (char c in p) if (!char.IsAsciiDigit(c)) return false;
            if (p.Length > 1 && p[0] == '0') return false; // "010" is octal to some tools: refuse the ambiguity
            if (int.Parse(p, CultureInfo.InvariantCulture) > 255) return false;
        }
        address = IPAddress.Parse(text);
        return true;
    }

    /// <summary>
    /// Parses "address/prefix". The address may have host bits set (an interface address such as
    /// 198.18.0.2/24); <see cref="ToNetwork"/> masks them.
    /// </summary>
    public static bool TryParseCidr(string text, out IPAddress address, out int prefixLength, out string error)
    {
        address = IPAddress.None;
        prefixLength = 0;
        int slash = text.IndexOf('/');
        if (slash < 0)
        {
            error = $"'{text}' is not a CIDR: missing '/prefix' (for one host write {text}/32 or {text}/128)";
            return false;
        }
        string addrText = text[..slash], lenText = text[(slash + 1)..];
        if (!TryParseAddress(addrText, out address))
        {
            error = $"'{text}' is not a CIDR: '{addrText}' is not an IPv4 or IPv6 address";
            return false;
        }
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (lenText.Length is 0 or > 3 || !lenText.All(char.IsAsciiDigit)
            || !int.TryParse(lenText, NumberStyles.None, CultureInfo.InvariantCulture, out prefixLength)
            || prefixLength > max)
        {
            error = $"'{text}' is not a CIDR: prefix length must be 0..{max}";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>The network containing <paramref name="address"/> with host bits cleared.</summary>
    public static IPNetwork ToNetwork(IPAddress address, int prefixLength)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        b = b[..n];
        for (int i = 0; i < n; i++)
        {
            int bitsInByte = Math.Clamp(prefixLength - i * 8, 0, 8);
            b[i] &= (byte)(0xFF << (8 - bitsInByte));
        }
        return new IPNetwork(new IPAddress(b), prefixLength);
    }

    /// <summary>True when both networks are the same family and one contains the other.</summary>
    public static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily
        && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    /// <summary>True when <paramref name="inner"/> lies entirely inside <paramref name="outer"/>.</summary>
    public static bool Covers(IPNetwork outer, IPNetwork inner) =>
        outer.BaseAddress.AddressFamily == inner.BaseAddress.AddressFamily
        && outer.PrefixLength <= inner.PrefixLength && outer.Contains(inner.BaseAddress);

    /// <summary>
    /// Parses an endpoint: "a.b.c.d:port", "[v6]:port" or "host:port" (RFC 1123 host name,
    /// resolved by the daemon at start). Port 1..65535.
    /// </summary>
    public static bool TryParseEndpoint(string text, out PeerEndpoint endpoint, out string error)
    {
        endpoint = null!;
        string host, portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not an endpoint: expected [IPv6]:port";
                return false;
            }
            host = text[1..close];
            portText = text[(close + 2)..];
            if (!TryParseAddress(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{text}' is not an endpoint: '{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' is not an endpoint: missing ':port' (expected IP:port, [IPv6]:port or host:port)";
                return false;
            }
            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.Contains(':'))
            {
                error = $"'{text}' is not an endpoint: write an IPv6 endpoint with brackets, [address]:port";
                return false;
            }
        }
        if (portText.Length is 0 or > 5 || !portText.All(char.IsAsciiDigit)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            error = $"'{text}' is not an endpoint: port must be 1..65535";
            return false;
        }
        IPAddress? literal = null;
        if (TryParseAddress(host, out var a)) literal = a;
        else if (LooksNumeric(host))
        {
            error = $"'{text}' is not an endpoint: '{host}' is not a valid IPv4 address";
            return false;
        }
        else if (!IsHostName(host))
        {
            error = $"'{text}' is not an endpoint: '{host}' is neither an IP address nor a valid host name";
            return false;
        }
        endpoint = new PeerEndpoint(host, (ushort)port, literal);
        error = "";
        return true;
    }

    private static bool LooksNumeric(string host) => host.Length > 0 && host.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>RFC 1123 §2.1 host name: dot-separated labels of 1..63 letters, digits and hyphens, not starting or ending with '-'; at most 253 characters.</summary>
    public static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253) return false;
        string h = host.EndsWith('.') ? host[..^1] : host;
        foreach (string label in h.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label)
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        }
        return true;
    }
}
