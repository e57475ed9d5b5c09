using System.Globalization;

namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// A star of network namespaces joined by veth pairs, all addresses from 198.18.0.0/15.
///
/// <code>
///   spoke i (ns ovl-&lt;run&gt;-&lt;t&gt;-s&lt;i&gt;)          hub (ns ovl-&lt;run&gt;-&lt;t&gt;-hub)
///   to-hub  198.18.i.2/24  &lt;-- veth --&gt;  to-s&lt;i&gt;  198.18.i.1/24
///   route 198.18.0.0/16 via 198.18.i.1                    net.ipv4.ip_forward = 0
/// </code>
///
/// Decisions: every spoke reaches every hub underlay address (the /16 route through its own
/// link), so <see cref="Node.UnderlayAddress"/> of the hub (198.18.1.1) works from any spoke and
/// <see cref="Node.HubAddress"/> (the hub end of the spoke's own link) is the most direct choice.
/// Spokes do NOT reach each other's underlay: the hub does not forward (ip_forward=0), so any
/// spoke-to-spoke traffic must be relayed by the overlay. <see cref="AllowSpokeToSpokeUnderlay"/>
/// turns kernel forwarding on for a test that wants direct paths. Overlay addresses are only
/// suggested (<see cref="Node.OverlayAddress"/>, 198.19.0.0/24); nothing is configured for them.
///
/// Dispose order: tracked resources (processes, wireguard-go, captures) in reverse order, then
/// the namespaces. Namespace deletion is only effective once no process holds them, hence the order.
/// </summary>
public sealed class Topology : IDisposable
{
    /// <summary>The underlay supernet the spokes route through the hub.</summary>
    public const string UnderlaySupernet = "198.18.0.0/16";

    /// <summary>Suggested overlay prefix (the hub is .1, spoke i is .(i+1)).</summary>
    public const string OverlayPrefix = "198.19.0.0/24";

    public const int UnderlayPrefixLength = 24;
    public const int OverlayPrefixLength = 24;

    private readonly List<IDisposable> _resources = new();
    private readonly List<Node> _nodes = new();
    private int _disposed;

    private Topology(string id)
    {
        Id = id;
    }

    /// <summary><c>&lt;RunId&gt;-&lt;n&gt;</c>; every namespace of this topology starts with <c>ovl-&lt;Id&gt;-</c>.</summary>
    public string Id { get; }

    public Node Hub => _nodes[0];

    public IReadOnlyList<Node> Spokes => _nodes.Skip(1).ToArray();

    /// <summary>Hub first, then spokes in order.</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>Spoke by 1-based index (<c>topology.Spoke(1)</c> is s1).</summary>
    public Node Spoke(int index) =>
        index >= 1 && index < _nodes.Count ? _nodes[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>
    /// Builds hub + <paramref name="spokes"/> spokes (1..200). On any failure everything created so far is
    /// torn down before the exception propagates.
    /// </summary>
    public static Topology HubAndSpokes(int spokes)
    {
        if (spokes is < 1 or > 200)
        {
            throw new ArgumentOutOfRangeException(nameof(spokes), spokes, "1..200 spokes (one /24 per link inside 198.18.0.0/16)");
        }

        var topology = new Topology($"{HarnessRun.RunId}-{HarnessRun.NextSequence()}");
        try
        {
            string prefix = $"{HarnessRun.NamespacePrefix}{topology.Id}-";
            var hub = new Node(topology, NodeRole.Hub, 0, prefix + "hub");
            topology._nodes.Add(hub);
            Netns.Create(hub.Ns);
            Netns.Sysctl(hub.Ns, "net.ipv4.ip_forward", "0");

            for (int i = 1; i <= spokes; i++)
            {
                var spoke = new Node(topology, NodeRole.Spoke, i, prefix + "s" + i.ToString(CultureInfo.InvariantCulture));
                topology._nodes.Add(spoke);
                Netns.Create(spoke.Ns);

                string hubIf = "to-s" + i.ToString(CultureInfo.InvariantCulture);
                Cmd.Run("ip", "link", "add", hubIf, "netns", hub.Ns, "type", "veth", "peer", "name", spoke.UnderlayInterface, "netns", spoke.Ns)
                    .EnsureSuccess();
                string hubAddress = $"198.18.{i}.1";
                hub.AddLink(new UnderlayLink(hubIf, hubAddress, spoke));
                spoke.SetUnderlay($"198.18.{i}.2", hubAddress);
                spoke.AddLink(new UnderlayLink(spoke.UnderlayInterface, spoke.UnderlayAddress, hub));

                Netns.AddAddress(hub.Ns, hubIf, $"{hubAddress}/{UnderlayPrefixLength}");
                Netns.SetLinkUp(hub.Ns, hubIf);
                Netns.AddAddress(spoke.Ns, spoke.UnderlayInterface, spoke.UnderlayCidr);
                Netns.SetLinkUp(spoke.Ns, spoke.UnderlayInterface);
                Netns.ReplaceRoute(spoke.Ns, UnderlaySupernet, hubAddress);
            }

            hub.SetUnderlay(hub.Links[0].Address, null);
            return topology;
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    /// <summary>Takes ownership of <paramref name="resource"/>: it is disposed (reverse order) before the namespaces go.</summary>
    public T Track<T>(T resource)
        where T : IDisposable
    {
        lock (_resources)
        {
            _resources.Add(resource);
        }

        return resource;
    }

    /// <summary>Lets spokes reach each other's underlay directly (hub ip_forward=1). Off by default.</summary>
    public void AllowSpokeToSpokeUnderlay() => Netns.Sysctl(Hub.Ns, "net.ipv4.ip_forward", "1");

    /// <summary>Disposes tracked resources, then deletes this topology's namespaces. Never throws.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        IDisposable[] resources;
        lock (_resources)
        {
            resources = _resources.ToArray();
            _resources.Clear();
        }

        for (int i = resources.Length - 1; i >= 0; i--)
        {
            try
            {
                resources[i].Dispose();
            }
            catch (Exception)
            {
                // Keep tearing down; a test's own assertion carries the real failure.
            }
        }

        foreach (Node node in _nodes.AsEnumerable().Reverse())
        {
            Netns.Delete(node.Ns);
        }
    }

    public override string ToString() => string.Join(", ", _nodes.Select(n => n.ToString()));
}

public enum NodeRole
{
    Hub,
    Spoke,
}

/// <summary>One end of an underlay veth inside a node: its interface, its address, and the node at the other end.</summary>
public sealed record UnderlayLink(string Interface, string Address, Node Peer);

/// <summary>One namespace of a <see cref="Topology"/>.</summary>
public sealed class Node
{
    private readonly Topology _topology;
    private readonly List<UnderlayLink> _links = new();

    internal Node(Topology topology, NodeRole role, int index, string ns)
    {
        _topology = topology;
        Role = role;
        Index = index;
        Ns = ns;
        Name = role == NodeRole.Hub ? "hub" : "s" + index.ToString(CultureInfo.InvariantCulture);
        UnderlayInterface = role == NodeRole.Hub ? "to-s1" : "to-hub";
        UnderlayAddress = string.Empty;
    }

    public NodeRole Role { get; }

    /// <summary>0 for the hub, 1..n for spokes.</summary>
    public int Index { get; }

    /// <summary>"hub", "s1", "s2", ...</summary>
    public string Name { get; }

    /// <summary>Namespace name, e.g. <c>ovl-3fa9c1-1-s1</c>.</summary>
    public string Ns { get; }

    /// <summary>Spoke: <c>to-hub</c>. Hub: <c>to-s1</c> (see <see cref="Links"/> for the others).</summary>
    public string UnderlayInterface { get; }

    /// <summary>Spoke i: 198.18.i.2 (changes with <see cref="ChangeUnderlayAddress"/>). Hub: 198.18.1.1, reachable from every spoke.</summary>
    public string UnderlayAddress { get; private set; }

    public string UnderlayCidr => $"{UnderlayAddress}/{Topology.UnderlayPrefixLength}";

    /// <summary>Spoke i: the hub end of its own link, 198.18.i.1 — the endpoint a spoke should dial. Hub: null.</summary>
    public string? HubAddress { get; private set; }

    /// <summary>Suggested overlay address: hub 198.19.0.1, spoke i 198.19.0.(i+1). Not configured by the topology.</summary>
    public string OverlayAddress => $"198.19.0.{Index + 1}";

    public string OverlayCidr => $"{OverlayAddress}/{Topology.OverlayPrefixLength}";

    /// <summary>Hub: one link per spoke. Spoke: its single link to the hub.</summary>
    public IReadOnlyList<UnderlayLink> Links => _links;

    public ExecResult Exec(params string[] argv) => Netns.Exec(Ns, argv);

    public ExecResult ExecOrThrow(params string[] argv) => Netns.ExecOrThrow(Ns, argv);

    public PingResult Ping(string target, int count = 3, int deadlineSec = 5, string? patternHex = null) =>
        Netns.Ping(Ns, target, count, deadlineSec, patternHex);

    /// <summary>Starts a process in this namespace; the topology stops it before deleting namespaces.</summary>
    public ManagedProcess Start(string fileName, params string[] args) =>
        _topology.Track(ManagedProcess.StartInNs(Ns, fileName, args));

    /// <summary>Starts a process in this namespace with extra environment; tracked like <see cref="Start(string, string[])"/>.</summary>
    public ManagedProcess Start(IReadOnlyDictionary<string, string> environment, string fileName, params string[] args) =>
        _topology.Track(ManagedProcess.Start(new ProcessSpec(fileName, args) { Netns = Ns, Environment = environment }));

    /// <summary>A control-socket path private to this node (namespaces share the filesystem, so /run/subnetra would collide).</summary>
    public string ControlSocketPath => Path.Combine(HarnessRun.TempDirectory, Ns + ".sock");

    /// <summary>A state-file path private to this node (the hub's endpoint memory sits beside it), inside the run's temp directory.</summary>
    public string StatePath => Path.Combine(HarnessRun.TempDirectory, Ns + ".state.json");

    /// <summary>
    /// <c>SUBNETRA_SOCK=&lt;ControlSocketPath&gt;</c> and <c>SUBNETRA_STATE=&lt;StatePath&gt;</c>, the environment
    /// for this node's daemon and CLI, so nothing is written outside the run's temp directory.
    /// </summary>
    public IReadOnlyDictionary<string, string> DaemonEnvironment =>
        new Dictionary<string, string> { [DaemonBinaries.SocketVariable] = ControlSocketPath, ["SUBNETRA_STATE"] = StatePath };

    /// <summary>
    /// Starts <c>subnetrad args...</c> in this namespace with <see cref="DaemonEnvironment"/> plus <paramref name="extraEnvironment"/>;
    /// tracked, so the topology stops it (SIGTERM, then SIGKILL) before deleting namespaces.
    /// </summary>
    public ManagedProcess StartDaemon(IReadOnlyDictionary<string, string>? extraEnvironment, params string[] args) =>
        _topology.Track(DaemonBinaries.StartDaemon(Ns, Merge(extraEnvironment), args));

    /// <summary>Runs <c>subnetra args...</c> to completion in this namespace with <see cref="DaemonEnvironment"/> (30 s limit).</summary>
    public ExecResult RunCli(params string[] args) => DaemonBinaries.RunCli(Ns, DaemonEnvironment, null, args);

    /// <summary>
    /// Roaming: moves a spoke's underlay address to <paramref name="newAddress"/> (same /24 as its link, e.g. 198.18.1.7)
    /// and restores its route to the hub supernet. Sockets bound to 0.0.0.0 then send from the new address.
    /// </summary>
    public void ChangeUnderlayAddress(string newAddress)
    {
        if (Role != NodeRole.Spoke || HubAddress is null)
        {
            throw new InvalidOperationException("only spokes roam");
        }

        string subnet = $"198.18.{Index}.";
        if (!newAddress.StartsWith(subnet, StringComparison.Ordinal) || newAddress == HubAddress || newAddress == UnderlayAddress
            || !byte.TryParse(newAddress.AsSpan(subnet.Length), NumberStyles.None, CultureInfo.InvariantCulture, out byte host)
            || host is 0 or 255)
        {
            throw new ArgumentException($"{newAddress} must be a free host address in {subnet}0/24", nameof(newAddress));
        }

        Netns.ChangeAddress(Ns, UnderlayInterface, UnderlayCidr, $"{newAddress}/{Topology.UnderlayPrefixLength}");
        UnderlayAddress = newAddress;
        _links[0] = _links[0] with { Address = newAddress };
        Netns.ReplaceRoute(Ns, Topology.UnderlaySupernet, HubAddress);
    }

    /// <summary>Hub: its address on the link to <paramref name="spoke"/> (198.18.i.1).</summary>
    public string AddressFacing(Node spoke) =>
        _links.FirstOrDefault(l => ReferenceEquals(l.Peer, spoke))?.Address
        ?? throw new ArgumentException($"{Name} has no link to {spoke.Name}", nameof(spoke));

    public override string ToString() => $"{Name}[{Ns} {UnderlayAddress}]";

    private Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(DaemonEnvironment);
        if (extra is not null)
        {
            foreach ((string key, string value) in extra)
            {
                environment[key] = value;
            }
        }

        return environment;
    }

    internal void AddLink(UnderlayLink link) => _links.Add(link);

    internal void SetUnderlay(string address, string? hubAddress)
    {
        UnderlayAddress = address;
        HubAddress = hubAddress;
    }
}
