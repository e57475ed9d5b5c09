namespace Overlay.Protocol.Tests.Config;

/// <summary>Small valid configs for tests, with fixed distinct PSKs (not secrets).</summary>
internal static class ConfigJson
{
    public const string Psk1 = "1111111111111111111111111111111111111111111111111111111111111111";
    public const string Psk2 = "2222222222222222222222222222222222222222222222222222222222222222";
    public const string Psk3 = "3333333333333333333333333333333333333333333333333333333333333333";

    public static string Hub(string extraTop = "", string peer2Extra = "") => $$"""
    {
      "role": "hub",
      "virtual_subnet": "198.18.0.0/24",
      "local_id": 1,
      "local_tun_ip": "198.18.0.1/24",
      {{extraTop}}
      "peers": [
        { "id": 2, "name": "alice", "endpoint": "198.19.0.2:51820", "allowed_src": "198.18.0.2/32", "psk": "{{Psk1}}" {{peer2Extra}} },
        { "id": 3, "allowed_src": ["198.18.0.3/32", "198.18.1.0/24"], "psk": "{{Psk2}}" }
      ]
    }
    """;

    public static string Spoke(string extraTop = "", string hubExtra = "") => $$"""
    {
      "role": "spoke",
      "virtual_subnet": "198.18.0.0/24",
      "local_id": 2,
      "local_tun_ip": "198.18.0.2/24",
      {{extraTop}}
      "peers": [
        { "id": 1, "name": "hub", "endpoint": "198.19.0.1:51820", "psk": "{{Psk1}}" {{hubExtra}} }
      ]
    }
    """;
}
