using System.Net;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

public class AddressTextTests
{
    [Theory]
    [InlineData("198.18.0.0/24", "198.18.0.0/24")]
    [InlineData("198.18.0.7/24", "198.18.0.0/24")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("198.18.0.7/32", "198.18.0.7/32")]
    [InlineData("fd00:1:2::9/48", "fd00:1:2::/48")]
    [InlineData("fd00:1:2::9/40", "fd00:1::/40")]
    [InlineData("::/0", "::/0")]
    [InlineData("198.18.3.255/23", "198.18.2.0/23")]
    public void TryParseCidr_Valid_NormalizesNetwork(string text, string network)
    {
        Assert.True(AddressText.TryParseCidr(text, out var a, out int len, out _));
        Assert.Equal(IPNetwork.Parse(network), AddressText.ToNetwork(a, len));
    }

    [Theory]
    [InlineData("198.18.0.0", "missing '/prefix'")]
    [InlineData("198.18.0.0/33", "0..32")]
    [InlineData("fd00::/129", "0..128")]
    [InlineData("198.18/16", "not an IPv4 or IPv6 address")]
    [InlineData("198.018.0.0/16", "not an IPv4 or IPv6 address")]
    [InlineData("198.18.0.0/-1", "0..32")]
    [InlineData("198.18.0.0/ 8", "0..32")]
    [InlineData("fe80::1%eth0/64", "not an IPv4 or IPv6 address")]
    [InlineData("hub/24", "not an IPv4 or IPv6 address")]
    public void TryParseCidr_Invalid_Explains(string text, string part)
    {
        Assert.False(AddressText.TryParseCidr(text, out _, out _, out string error));
        Assert.Contains(part, error);
    }

    [Theory]
    [InlineData("198.19.0.1:51820", "198.19.0.1", 51820, true)]
    [InlineData("[2001:db8::1]:443", "2001:db8::1", 443, true)]
    [InlineData("hub.example.net:51820", "hub.example.net", 51820, false)]
    [InlineData("localhost:1", "localhost", 1, false)]
    public void TryParseEndpoint_Valid(string text, string host, int port, bool literal)
    {
        Assert.True(AddressText.TryParseEndpoint(text, out var ep, out _));
        Assert.Equal(host, ep.Host);
        Assert.Equal(port, ep.Port);
        Assert.Equal(literal, ep.IsLiteral);
    }

    [Theory]
    [InlineData("198.19.0.1", "missing ':port'")]
    [InlineData("198.19.0.1:65536", "port must be 1..65535")]
    [InlineData("198.19.0.1:", "port must be 1..65535")]
    [InlineData("2001:db8::1:51820", "with brackets")]
    [InlineData("[2001:db8::1]51820", "expected [IPv6]:port")]
    [InlineData("[198.19.0.1]:1", "not an IPv6 address")]
    [InlineData("1.2.3:80", "not a valid IPv4 address")]
    [InlineData("-bad-.example:80", "neither an IP address nor a valid host name")]
    [InlineData("a b:80", "neither an IP address nor a valid host name")]
    public void TryParseEndpoint_Invalid_Explains(string text, string part)
    {
        Assert.False(AddressText.TryParseEndpoint(text, out _, out string error));
        Assert.Contains(part, error);
    }

    [Theory]
    [InlineData("198.18.0.0/24", "198.18.0.128/25", true)]
    [InlineData("198.18.0.0/25", "198.18.0.128/25", false)]
    [InlineData("198.18.0.0/24", "fd00::/8", false)]
    [InlineData("0.0.0.0/0", "198.18.0.1/32", true)]
    public void Overlaps_Cases(string a, string b, bool expected)
    {
        Assert.Equal(expected, AddressText.Overlaps(IPNetwork.Parse(a), IPNetwork.Parse(b)));
        Assert.Equal(expected, AddressText.Overlaps(IPNetwork.Parse(b), IPNetwork.Parse(a)));
    }
}
