using Overlay.Protocol.Config;

namespace Overlay.Os.Tests.Plan;

/// <summary>Small configs for plan tests (198.18.0.0/15 and 2001:2::/48 only; PSKs are not secrets).</summary>
internal static class PlanConfigs
{
    public const string Psk = "165464e36991fb66e254c25c2e3af2347bfe6c59db441f67c3775c2b9d052917";

    public static OverlayConfig Spoke(string extraTop = "", string tunIp = "198.19.0.2/24", string virtualSubnet = "198.19.0.0/24") => Load($$"""
        {
          "role": "spoke", "virtual_subnet": "{{virtualSubnet}}", "local_id": 2,
          "local_tun_ip": {{(tunIp.StartsWith('[') ? tunIp : "\"" + tunIp + "\"")}}, "tun_name": "ovl9",
          {{extraTop}}
          "peers": [ { "id": 1, "name": "hub", "endpoint": "198.18.1.1:51820", "psk": "{{Psk}}" } ]
        }
        """);

    public static OverlayConfig Hub(string extraTop = "") => Load($$"""
        {
          "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "local_tun_ip": "198.19.0.1/24",
          {{extraTop}}
          "peers": [ { "id": 2, "allowed_src": ["198.19.0.2/32", "198.19.5.0/24"], "psk": "{{Psk}}" } ]
        }
        """);

    private static OverlayConfig Load(string json)
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(json, "plan-test.json", Path.GetTempPath());
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return r.Config!;
    }
}
