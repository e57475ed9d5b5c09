using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Overlay.Protocol.Config;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra init --virtual-subnet CIDR --endpoint HOST:PORT [--hub-ip ADDR] [--listen-port N]
/// [--id N] [--tun-name NAME] [--output FILE] [--force]</c> (issue 13 item 1): writes a hub config
/// with no peers yet, mode 0600, refusing to overwrite without --force. The hub takes the
/// subnet's first address unless --hub-ip; the endpoint spokes must dial is kept under
/// <c>advertised_endpoint</c> for add-peer; listen_port defaults to the endpoint's port.
/// </summary>
public static class InitCommand
{
    public const string DefaultOutput = "hub.json";

    public static Command Create()
    {
        var subnet = new Option<string>("--virtual-subnet") { Description = "The overlay network, e.g. 198.19.0.0/24", HelpName = "CIDR", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "The hub's public HOST:PORT that spokes dial (kept as advertised_endpoint)", HelpName = "HOST:PORT", Required = true };
        var hubIp = new Option<string?>("--hub-ip") { Description = "The hub's own overlay address (default: the subnet's first address)", HelpName = "ADDR" };
        var listenPort = CliOptions.OptionalInt("--listen-port", 1, 65535, "a UDP port");
        listenPort.Description = "UDP port the hub listens on (default: the --endpoint port; differs only behind port forwarding)";
        var id = CliOptions.Int("--id", null, 1, 65535, "a node id");
        id.Description = "The hub's local_id (default 1)";
        id.DefaultValueFactory = _ => 1;
        var tunName = new Option<string?>("--tun-name") { Description = $"Linux interface name (default {OverlayConfig.DefaultTunName})", HelpName = "NAME" };
        var output = new Option<string>("--output", "-o") { Description = $"Where to write the hub config (default ./{DefaultOutput}); created with mode 0600", HelpName = "FILE", DefaultValueFactory = _ => DefaultOutput };
        var force = new Option<bool>("--force") { Description = "Replace an existing --output file" };
        var command = new Command("init", "Write a new hub config with no peers yet (mode 0600); then add spokes with 'subnetra add-peer'")
        {
            subnet, endpoint, hubIp, listenPort, id, tunName, output, force,
        };
        command.SetAction(parse =>
        {
            var io = parse.InvocationConfiguration;
            var request = new InitRequest(parse.GetValue(subnet)!, parse.GetValue(endpoint)!, parse.GetValue(hubIp), parse.GetValue(listenPort),
                parse.GetValue(id), parse.GetValue(tunName), parse.GetValue(output)!, parse.GetValue(force));
            return Run(request, io.Output, io.Error);
        });
        return command;
    }

    public sealed record InitRequest(string Subnet, string Endpoint, string? HubIp, int? ListenPort, int Id, string? TunName, string Output, bool Force);

    public static int Run(InitRequest r, TextWriter stdout, TextWriter stderr)
    {
        if (!TryBuild(r, out JsonObject? hub, out string error))
        {
            stderr.WriteLine($"subnetra init: {error}");
            return CliCommand.ExitUsage;
        }
        string text = ConfigJson.Serialize(hub!);
        string full = Path.GetFullPath(r.Output);
        // The file must pass the same validation as subnetrad --check before it is written.
        var check = ConfigLoader.LoadJson(text, full, Path.GetDirectoryName(full), Overlay.Os.Node.RegularFileReader.Instance);
        if (!check.Success)
        {
            foreach (var e in check.Errors) stderr.WriteLine($"subnetra init: {e}");
            return CliCommand.ExitUsage;
        }
        if (SecretFile.Write(full, text, r.Force) is string why)
        {
            stderr.WriteLine($"subnetra init: {why}");
            return why.Contains("already exists", StringComparison.Ordinal) || why.Contains("symbolic link", StringComparison.Ordinal)
                ? CliCommand.ExitUsage : CliCommand.ExitFailure;
        }
        var cfg = check.Config!;
        stdout.WriteLine($"wrote {full} (mode 0600): hub {cfg.LocalId}, {cfg.LocalTunIp} in {cfg.VirtualSubnet}, listening on UDP {cfg.EffectiveListenPorts[0]}; spokes will dial {r.Endpoint}");
        stdout.WriteLine("next steps:");
        stdout.WriteLine($"  subnetra add-peer --config {r.Output} --name NAME --output NAME.json   # one per spoke (--os macos, --lan CIDR, --wireguard for phones)");
        stdout.WriteLine($"  subnetrad --check --config {r.Output}");
        stdout.WriteLine($"  subnetrad --config {r.Output}   # on the hub, as root; open UDP {cfg.EffectiveListenPorts[0]} in its firewall");
        return CliCommand.ExitOk;
    }

    internal static bool TryBuild(InitRequest r, out JsonObject? hub, out string error)
    {
        hub = null;
        if (!AddressText.TryParseCidr(r.Subnet, out var subnetAddress, out int prefix, out error))
        {
            error = $"--virtual-subnet: {error}";
            return false;
        }
        IPNetwork subnet = AddressText.ToNetwork(subnetAddress, prefix);
        if (!subnet.BaseAddress.Equals(subnetAddress))
        {
            error = $"--virtual-subnet {r.Subnet} has host bits set; did you mean {subnet}?";
            return false;
        }
        if (!AddressText.TryParseEndpoint(r.Endpoint, out var ep, out error))
        {
            error = $"--endpoint: {error}";
            return false;
        }
        IPAddress hubAddress;
        if (r.HubIp is null)
        {
            if (AddressPool.First(subnet) is not IPAddress first)
            {
                error = $"--virtual-subnet {subnet} has no room for a hub and spokes; use a shorter prefix";
                return false;
            }
            hubAddress = first;
        }
        else if (!AddressText.TryParseAddress(r.HubIp, out hubAddress) || !AddressPool.IsUsable(subnet, hubAddress))
        {
            error = $"--hub-ip takes an address inside {subnet} (not its network or broadcast address), not '{r.HubIp}'";
            return false;
        }
        if (r.TunName is not null && !CliCommand.IsInterfaceName(r.TunName))
        {
            error = "--tun-name must be 1..15 characters of letters, digits, '_', '.' or '-'";
            return false;
        }
        hub = new JsonObject
        {
            ["role"] = "hub",
            ["virtual_subnet"] = subnet.ToString(),
            ["local_id"] = r.Id,
            ["local_tun_ip"] = $"{hubAddress}/{prefix}",
            ["listen_port"] = r.ListenPort ?? ep.Port,
            ["advertised_endpoint"] = ep.ToString(),
        };
        if (r.TunName is not null) hub["tun_name"] = r.TunName;
        hub["peers"] = new JsonArray();
        error = "";
        return true;
    }
}
