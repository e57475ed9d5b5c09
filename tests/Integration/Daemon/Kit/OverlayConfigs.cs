using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon.Kit;

/// <summary>
/// Builds daemon configs (DESIGN.md §5, snake_case JSON) for a <see cref="Topology"/>: the hub is id 1 at
/// 198.19.0.1, spoke i is id i+1 at 198.19.0.(i+1) (<see cref="Node.OverlayAddress"/>), overlay 198.19.0.0/24,
/// underlay 198.18.i.0/24. Every config names its own tun (<see cref="HarnessRun.UniqueInterfaceName"/>) unless a
/// test deliberately leaves tun_name out, because the UAPI socket /var/run/wireguard/&lt;tun&gt;.sock is global.
/// </summary>
public static class OverlayConfigs
{
    public const string VirtualSubnet = Topology.OverlayPrefix;
    public const int HubPort = 51820;
    public const int HubId = 1;

    /// <summary>Node id of a topology node: hub 1, spoke i -> i + 1.</summary>
    public static int IdOf(Node node) => node.Index + 1;

    /// <summary>A fresh link PSK, 64 lowercase hex digits (what <c>subnetra genpsk</c> prints).</summary>
    public static string NewPsk() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A fresh run-unique tun name (stem "ovl").</summary>
    public static string NewTunName() => HarnessRun.UniqueInterfaceName("ovl");

    /// <summary>Hub config: listens on 51820, overlay address 198.19.0.1/24, one peer per entry of <paramref name="peers"/>.</summary>
    public static JsonObject Hub(string? tunName, IEnumerable<JsonObject> peers)
    {
        var config = new JsonObject
        {
            ["role"] = "hub",
            ["virtual_subnet"] = VirtualSubnet,
            ["local_id"] = HubId,
            ["local_tun_ip"] = "198.19.0.1/24",
            ["listen_port"] = HubPort,
        };
        if (tunName is not null)
        {
            config["tun_name"] = tunName;
        }

        config["peers"] = new JsonArray(peers.Select(p => (JsonNode)p).ToArray());
        return config;
    }

    /// <summary>The hub's peer entry for <paramref name="spoke"/>: id, name, allowed_src = its overlay /32, psk; no endpoint (roaming).</summary>
    public static JsonObject HubPeer(Node spoke, string psk) => new()
    {
        ["id"] = IdOf(spoke),
        ["name"] = "spoke" + spoke.Index.ToString(CultureInfo.InvariantCulture),
        ["allowed_src"] = spoke.OverlayAddress + "/32",
        ["psk"] = psk,
    };

    /// <summary>Spoke config dialing the hub end of its own link (<see cref="Node.HubAddress"/>:51820), keepalive 25 s.</summary>
    public static JsonObject Spoke(Node spoke, string? tunName, string psk)
    {
        var config = new JsonObject
        {
            ["role"] = "spoke",
            ["virtual_subnet"] = VirtualSubnet,
            ["local_id"] = IdOf(spoke),
            ["local_tun_ip"] = spoke.OverlayCidr,
        };
        if (tunName is not null)
        {
            config["tun_name"] = tunName;
        }

        config["keepalive_secs"] = 25;
        config["peers"] = new JsonArray(new JsonObject
        {
            ["id"] = HubId,
            ["name"] = "hub",
            ["endpoint"] = HubEndpointFor(spoke),
            ["psk"] = psk,
        });
        return config;
    }

    /// <summary>"198.18.i.1:51820": the hub address on spoke i's own link.</summary>
    public static string HubEndpointFor(Node spoke) =>
        (spoke.HubAddress ?? throw new ArgumentException("not a spoke", nameof(spoke))) + ":" + HubPort.ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="config"/> as indented JSON to a new 0600 <c>&lt;stem&gt;-&lt;n&gt;.json</c> in the run's temp directory.</summary>
    public static string Write(JsonObject config, string stem)
    {
        string path = Path.Combine(HarnessRun.TempDirectory, $"{stem}-{HarnessRun.NextSequence()}.json");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        config.WriteTo(writer);
        return path;
    }
}
