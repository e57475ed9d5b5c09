using Overlay.Os.Node;
using Overlay.Protocol.Config;

namespace Overlay.Tests.Fakes;

/// <summary>One node of an in-process overlay: the real <see cref="NodeDataPath"/> over fakes.</summary>
public sealed class FakeNode
{
    public required string Name { get; init; }
    public required OverlayConfig Config { get; init; }
    public required NodeDataPath DataPath { get; init; }
    public required FakeTun Tun { get; init; }
    public required FakeUdpPort Udp { get; init; }
    public required string Json { get; init; }
    public required string Underlay { get; init; }
    /// <summary>Live policy and reload for this node (call between turns, as the loop thread would).</summary>
    public required NodeConfigurator Configurator { get; init; }
    public string OverlayAddress => Config.LocalTunIp!.Value.Address.ToString();
}

/// <summary>
/// A hub and N spokes running the production node data path and role policies in one process,
/// joined by a <see cref="FakeNetwork"/> and driven by a <see cref="ManualTimeProvider"/>
/// (wireguard-go's TestTwoDevicePing idea, for our hub-and-spoke shape). Configs go through
/// the real loader. Underlay: hub 198.18.0.1:51820, spoke i 198.18.i.2:40000; overlay
/// 198.19.0.0/24 with the hub at .1 and spoke i at .(i+1).
/// </summary>
public sealed class FakeOverlay
{
    public ManualTimeProvider Time { get; } = new();
    public FakeNetwork Network { get; } = new();
    public List<FakeNode> Nodes { get; } = [];
    public FakeNode Hub => Nodes[0];
    public FakeNode Spoke(int i) => Nodes[i];

    public static string Psk(int spoke) => Convert.ToHexString(
        System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(spoke))).ToLowerInvariant();

    public static string HubJson(int spokes, int mtu = 1420)
    {
        var peers = string.Join(",\n", Enumerable.Range(1, spokes).Select(i =>
            $$"""    { "id": {{i + 1}}, "name": "spoke{{i}}", "allowed_src": "198.19.0.{{i + 1}}/32", "psk": "{{Psk(i)}}" }"""));
        return $$"""
            { "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "local_tun_ip": "198.19.0.1/24",
              "local_tun_mtu": {{mtu}}, "listen_port": 51820, "peers": [
            {{peers}}
            ] }
            """;
    }

    public static string SpokeJson(int i, int mtu = 1420, string? psk = null) => $$"""
        { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": {{i + 1}}, "local_tun_ip": "198.19.0.{{i + 1}}/24",
          "local_tun_mtu": {{mtu}}, "listen_port": 40000,
          "peers": [ { "id": 1, "name": "hub", "endpoint": "198.18.0.1:51820", "psk": "{{psk ?? Psk(i)}}" } ] }
        """;

    public static FakeOverlay HubAndSpokes(int spokes, int mtu = 1420)
    {
        var o = new FakeOverlay();
        o.Add("hub", HubJson(spokes, mtu), "198.18.0.1:51820", isHub: true);
        for (int i = 1; i <= spokes; i++) o.Add($"spoke{i}", SpokeJson(i, mtu), $"198.18.{i}.2:40000", isHub: false);
        return o;
    }

    /// <param name="resolve">Host-name lookups for the config's endpoints (default: the system resolver).</param>
    public FakeNode Add(string name, string json, string underlay, bool isHub, IRolePolicy? policy = null,
        Func<string, System.Net.IPAddress[]>? resolve = null)
    {
        FakeNode node = Build(name, json, underlay, isHub, policy, resolve);
        Nodes.Add(node);
        return node;
    }

    /// <summary>Replaces node <paramref name="index"/> with a fresh process of the same config at the same underlay address, and starts it.</summary>
    public FakeNode Restart(int index, IRolePolicy? policy = null)
    {
        FakeNode old = Nodes[index];
        FakeNode node = Build(old.Name, old.Json, old.Underlay, old.DataPath.Policy.Role == "hub", policy);
        Nodes[index] = node;
        node.DataPath.Start();
        return node;
    }

    private FakeNode Build(string name, string json, string underlay, bool isHub, IRolePolicy? policy,
        Func<string, System.Net.IPAddress[]>? resolve = null)
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(json, name);
        if (!r.Success) throw new InvalidOperationException(string.Join("\n", r.Errors));
        var tun = new FakeTun();
        FakeUdpPort udp = Network.Attach(underlay);
        policy ??= isHub ? new Overlay.Hub.HubPolicy(Time) : new Overlay.Spoke.SpokePolicy();
        NodeSetup setup = NodeSetupBuilder.Build(r.Config!, resolve);
        var dataPath = new NodeDataPath(setup, tun, [udp], Time, policy);
        return new FakeNode
        {
            Name = name, Config = r.Config!, DataPath = dataPath, Tun = tun, Udp = udp, Json = json, Underlay = underlay,
            Configurator = new NodeConfigurator(dataPath, r.Config!, setup),
        };
    }

    public void Start()
    {
        foreach (FakeNode n in Nodes) n.DataPath.Start();
        Pump();
    }

    /// <summary>Runs loop turns on every node until no packet is in flight (bounded).</summary>
    public void Pump(int maxRounds = 1000)
    {
        for (int round = 0; round < maxRounds; round++)
        {
            bool busy = false;
            foreach (FakeNode n in Nodes)
            {
                if (n.Udp.Inbox.Count == 0 && n.Tun.Inbound.Count == 0 && !Due(n)) continue;
                busy = true;
                Turn(n);
            }
            if (!busy) return;
        }
        throw new InvalidOperationException($"overlay did not settle in {maxRounds} rounds");
    }

    /// <summary>One poll-loop turn of one node, as PollLoop would run it.</summary>
    public void Turn(FakeNode n)
    {
        n.DataPath.BeginTurn(Time.GetTimestamp());
        n.DataPath.OnUdpReadable(0);
        n.DataPath.OnTunReadable();
        if (Due(n)) n.DataPath.OnTimer();
        n.DataPath.EndTurn();
    }

    private bool Due(FakeNode n) => n.DataPath.NextDeadlineTimestamp <= Time.GetTimestamp();

    /// <summary>Moves the clock in steps (so timers fire in order) and pumps after each.</summary>
    public void Advance(TimeSpan by, TimeSpan? step = null)
    {
        TimeSpan s = step ?? TimeSpan.FromSeconds(1);
        for (TimeSpan done = TimeSpan.Zero; done < by; done += s)
        {
            Time.Advance(s < by - done ? s : by - done);
            Pump();
        }
    }
}
