using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

/// <summary>advertised_endpoint and the empty hub (issue 13; docs/config.md).</summary>
public class OnboardingKeysTests
{
    private static ConfigLoadResult Load(string json) => ConfigLoader.LoadJson(json, "test.json", Path.GetTempPath());

    private const string Psk = "1111111111111111111111111111111111111111111111111111111111111111";

    [Theory]
    [InlineData("hub.example.net:51820", "hub.example.net:51820")]
    [InlineData("198.18.1.1:4500", "198.18.1.1:4500")]
    [InlineData("[2001:2::1]:51820", "[2001:2::1]:51820")]
    public void AdvertisedEndpoint_OnHub_Parsed(string text, string expected)
    {
        var r = Load($$"""{ "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "advertised_endpoint": "{{text}}", "peers": [] }""");
        Assert.True(r.Success, string.Join('\n', r.Errors));
        Assert.Equal(expected, r.Config!.AdvertisedEndpoint!.ToString());
    }

    [Theory]
    [InlineData("\"hub.example.net\"", "advertised_endpoint: ")]
    [InlineData("\"bad_host!:51820\"", "advertised_endpoint: ")]
    [InlineData("51820", "advertised_endpoint: expected a string, got a number 51820")]
    public void AdvertisedEndpoint_Invalid_ErrorNamesKey(string value, string expected)
    {
        var r = Load($$"""{ "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "advertised_endpoint": {{value}}, "peers": [] }""");
        Assert.False(r.Success);
        Assert.Contains(r.Errors, e => e.ToString().StartsWith("test.json: " + expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AdvertisedEndpoint_OnSpoke_IgnoredWithWarning()
    {
        var r = Load($$"""
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 2, "local_tun_ip": "198.19.0.2/24",
              "advertised_endpoint": "hub.example.net:51820", "peers": [ { "id": 1, "endpoint": "198.18.1.1:51820", "psk": "{{Psk}}" } ] }
            """);
        Assert.True(r.Success, string.Join('\n', r.Errors));
        Assert.Null(r.Config!.AdvertisedEndpoint);
        Assert.Contains(r.Warnings, w => w.StartsWith("test.json: advertised_endpoint: ignored: only a hub", StringComparison.Ordinal));
    }

    [Fact]
    public void EmptyPeers_Hub_ValidWithWarning()
    {
        var r = Load("""{ "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "peers": [] }""");
        Assert.True(r.Success, string.Join('\n', r.Errors));
        Assert.Empty(r.Config!.Peers);
        Assert.Contains(r.Warnings, w => w.StartsWith("test.json: peers: no peers yet", StringComparison.Ordinal));
    }

    [Fact]
    public void EmptyPeers_Manual_StillAnError()
    {
        var r = Load("""{ "role": "manual", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "peers": [] }""");
        Assert.Contains(r.Errors, e => e.ToString() == "test.json: peers: must list at least one peer");
    }
}
