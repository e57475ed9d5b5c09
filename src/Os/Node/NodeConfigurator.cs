using System.Net;
using Overlay.Protocol;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Node;

/// <summary>A policy or reload request the node refuses; the message is the control reply's error.</summary>
public sealed class NodeConfigException(string message) : Exception(message);

/// <summary>
/// Changes a running node without restarting it (issue 4 items 3 and 4): live policy rules
/// layered over the role-derived table (<see cref="PolicyRuleSet"/>), and config reload
/// (added peers come up, removed peers go with their keys zeroed, changed peers are updated in
/// place or replaced, unchanged peers keep their sessions). Every change ends in one
/// <see cref="NodeDataPath.SetRouting"/> swap. All members run on the loop thread; the slow
/// parts of a reload (reading and validating the file, resolving host names, deriving keys)
/// happen before, on the caller's thread (see <see cref="NodeSetupBuilder"/>).
/// </summary>
public sealed class NodeConfigurator
{
    private readonly NodeDataPath _node;
    private readonly OverlayConfig _started;
    private Dictionary<int, UdpEndpoint> _configEndpoints;
    private LocalIdentity? _explicit;

    /// <param name="setup">The setup the node was built from (its endpoints and explicit identity).</param>
    public NodeConfigurator(NodeDataPath node, OverlayConfig config, NodeSetup setup)
    {
        _node = node;
        _started = config;
        Config = config;
        _explicit = setup.ExplicitIdentity;
        _configEndpoints = setup.Peers.ToDictionary(p => p.Id, p => p.Endpoint);
    }

    /// <summary>The config last applied (at start or by a reload).</summary>
    public OverlayConfig Config { get; private set; }

    public PolicyRuleSet Rules { get; private set; } = PolicyRuleSet.Empty;

    // ---- policy ---------------------------------------------------------------------------

    /// <summary>Adds a rule, or replaces the rule with the same prefix; returns what happened in one line.</summary>
    public string AddRule(PolicyRule rule)
    {
        if (rule.Action == PolicyAction.Peer && Config.FindPeer(rule.PeerId) is null)
            throw new NodeConfigException($"unknown peer id {rule.PeerId}; configured peers: {PeerList()}");
        Rules = Rules.With(rule, out PolicyRule? replaced);
        Install();
        return replaced is { } old ? $"replaced rule {old} with {rule}" : $"added rule {rule}";
    }

    /// <summary>Removes the rule for <paramref name="prefix"/>; an error when there is none.</summary>
    public string DeleteRule(IPNetwork prefix)
    {
        PolicyRule? rule = Rules.Find(prefix);
        if (rule is null || !Rules.TryRemove(prefix, out PolicyRuleSet rest))
        {
            string have = Rules.Count == 0 ? "there are no rules" : "rules: " + string.Join(", ", Rules.Rules.Select(r => r.Prefix));
            throw new NodeConfigException($"no rule for {prefix} ({have})");
        }
        Rules = rest;
        Install();
        return $"deleted rule {rule}";
    }

    /// <summary>
    /// Installs rules loaded from the state file at start. A rule naming a peer the config does
    /// not have is skipped and reported through <paramref name="warn"/>; returns how many were installed.
    /// </summary>
    public int LoadRules(IEnumerable<PolicyRule> rules, Action<string> warn)
    {
        PolicyRuleSet set = Rules;
        int n = 0;
        foreach (PolicyRule r in rules)
        {
            if (r.Action == PolicyAction.Peer && Config.FindPeer(r.PeerId) is null)
            {
                warn($"saved rule {r} skipped: peer {r.PeerId} is not in the config");
                continue;
            }
            set = set.With(r, out _);
            n++;
        }
        Rules = set;
        Install();
        return n;
    }

    /// <summary>The rules and the effective table, longest prefix first.</summary>
    public PolicyView View()
    {
        var table = Rules.Describe(Config)
            .OrderBy(e => e.Route.Destination.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)
            .ThenByDescending(e => e.Route.Destination.PrefixLength)
            .Select(e => new TableEntryInfo
            {
                Prefix = e.Route.Destination.ToString(),
                Action = e.Route.Target.Kind switch { RouteKind.Peer => "peer", RouteKind.Local => "local", _ => "drop" },
                PeerId = e.Route.Target.Kind == RouteKind.Peer ? e.Route.Target.PeerId : null,
                PeerName = e.Route.Target.Kind == RouteKind.Peer ? Config.FindPeer(e.Route.Target.PeerId)?.Name : null,
                Source = e.FromRule ? "rule" : "config",
            })
            .ToArray();
        return new PolicyView { Rules = Rules.Rules.Select(PolicyRuleInfo.From).ToArray(), Table = table };
    }

    // ---- reload ---------------------------------------------------------------------------

    /// <summary>
    /// Applies a validated config and the setup built from it. Refused as a whole (nothing
    /// changes) when role or local_id differ: every link identity and the table's meaning
    /// depend on them. tun_name, listen ports and MTU are reported as restart-required and the
    /// running values stay; everything else applies now.
    /// </summary>
    public ReloadSummary Reload(OverlayConfig next, NodeSetup setup, IReadOnlyList<string> warnings)
    {
        if (next.Role != Config.Role)
            throw new NodeConfigException($"restart required: role {OverlayConfig.RoleName(Config.Role)} -> {OverlayConfig.RoleName(next.Role)}; nothing was applied");
        if (next.LocalId != Config.LocalId)
            throw new NodeConfigException($"restart required: local_id {Config.LocalId} -> {next.LocalId}; nothing was applied");

        var restart = new List<string>();
        if (next.TunName != _started.TunName) restart.Add($"tun_name {_started.TunName} -> {next.TunName}");
        if (!next.EffectiveListenPorts.SequenceEqual(_started.EffectiveListenPorts))
            restart.Add($"listen ports {string.Join(",", _started.EffectiveListenPorts)} -> {string.Join(",", next.EffectiveListenPorts)}");
        if (next.TunMtu != _started.TunMtu) restart.Add($"local_tun_mtu {_started.TunMtu} -> {next.TunMtu}");
        if (next.ApplyNetworkPlan != _started.ApplyNetworkPlan)
            restart.Add($"apply_network_plan {Lower(_started.ApplyNetworkPlan)} -> {Lower(next.ApplyNetworkPlan)}");
        else if (next.ApplyNetworkPlan && next.TunMtu == _started.TunMtu && !PlanCommands(next).SequenceEqual(PlanCommands(_started)))
            restart.Add("network plan (local_tun_ip, routes or forwarding): the host keeps the plan applied at start");

        bool keyChanged = !SameBytes(Config.PrivateKey, next.PrivateKey);
        LocalIdentity? explicitIdentity = keyChanged ? setup.ExplicitIdentity : _explicit;
        if (!keyChanged) setup.ExplicitIdentity?.ZeroKeys();   // keep the running identity object: its peers point at it
        LocalIdentity? oldExplicit = _explicit;
        if (keyChanged) _node.WireGuard.SetExplicitIdentity(explicitIdentity);

        var added = new List<int>();
        var removed = new List<int>();
        var changed = new List<ReloadPeerChange>();
        var unchanged = new List<int>();

        // Removed peers first, so a re-added id or endpoint never collides.
        foreach (PeerConfig old in Config.Peers)
        {
            if (next.FindPeer(old.Id) is not null) continue;
            if (_node.PeerById(old.Id) is { } gone) _node.RemovePeer(gone);
            removed.Add(old.Id);
        }

        var setupById = setup.Peers.ToDictionary(p => p.Id);
        foreach (PeerConfig np in next.Peers)
        {
            NodePeerSetup ns = setupById[np.Id];
            if (ns.Local == setup.ExplicitIdentity && !keyChanged) ns = WithLocal(ns, explicitIdentity!);
            PeerConfig? op = Config.FindPeer(np.Id);
            WireGuardPeer? running = _node.PeerById(np.Id);
            if (op is null || running is null)
            {
                Start(ns);
                added.Add(np.Id);
                continue;
            }

            var what = new List<string>();
            bool replace = false;
            if (!op.Psk.AsSpan().SequenceEqual(np.Psk)) { what.Add("psk"); replace = true; }
            if (!SameBytes(op.PublicKey, np.PublicKey)) { what.Add("public_key"); replace = true; }
            if (keyChanged && (op.UsesExplicitIdentity || np.UsesExplicitIdentity) && !what.Contains("public_key"))
            {
                what.Add("private_key");
                replace = true;
            }
            _configEndpoints.TryGetValue(np.Id, out UdpEndpoint oldEndpoint);
            bool endpointChanged = oldEndpoint != ns.Endpoint;
            if (endpointChanged) what.Add("endpoint");
            if (op.Name != np.Name) what.Add("name");
            bool allowedChanged = !op.EffectiveAllowedSources.SequenceEqual(np.EffectiveAllowedSources);
            if (allowedChanged) what.Add("allowed_src");
            bool keepaliveChanged = running.PersistentKeepaliveSeconds != ns.PersistentKeepaliveSeconds;
            if (keepaliveChanged) what.Add("keepalive_secs");

            if (replace)
            {
                _node.RemovePeer(running);
                Start(ns);
            }
            else
            {
                // Same link keys: update in place, the session and keypair stay.
                if (!ReferenceEquals(ns.Local, running.Local) && !ReferenceEquals(ns.Local, explicitIdentity)) ns.Local.ZeroKeys();
                if (endpointChanged && !ns.Endpoint.IsNone) _node.WireGuard.SetEndpoint(running, ns.Endpoint);
                running.Name = np.Name;
                if (allowedChanged) _node.StateOf(running).AllowedSources = ns.AllowedSources;
                if (keepaliveChanged) _node.WireGuard.SetPersistentKeepalive(running, ns.PersistentKeepaliveSeconds);
            }
            if (what.Count == 0) unchanged.Add(np.Id);
            else changed.Add(new ReloadPeerChange { Id = np.Id, Name = np.Name, Changed = what, Session = replace ? "new" : "kept" });
        }
        if (keyChanged && oldExplicit is not null && !ReferenceEquals(oldExplicit, explicitIdentity)) oldExplicit.ZeroKeys();

        _explicit = explicitIdentity;
        _configEndpoints = setup.Peers.ToDictionary(p => p.Id, p => p.Endpoint);
        Config = next;
        Rules = Rules.Where(r => r.Action != PolicyAction.Peer || next.FindPeer(r.PeerId) is not null, out IReadOnlyList<PolicyRule> dropped);
        Install();

        return new ReloadSummary
        {
            Config = next.SourcePath,
            Added = added,
            Removed = removed,
            Changed = changed,
            Unchanged = unchanged,
            RestartRequired = restart,
            RulesDropped = dropped.Select(PolicyRuleInfo.From).ToArray(),
            Warnings = warnings,
        };
    }

    /// <summary>One line for a reload: <c>reloaded FILE: 1 added, 0 removed, 0 changed, 2 unchanged</c> plus what needs attention.</summary>
    public static string Describe(ReloadSummary s)
    {
        string line = $"reloaded {s.Config}: {s.Added.Count} added, {s.Removed.Count} removed, {s.Changed.Count} changed, {s.Unchanged.Count} unchanged";
        if (s.RulesDropped.Count > 0)
            line += $"; rules dropped (peer gone): {string.Join(", ", s.RulesDropped.Select(r => r.Prefix + " -> peer " + r.PeerId))}";
        if (s.RestartRequired.Count > 0) line += $"; restart required: {string.Join("; ", s.RestartRequired)} (running values kept)";
        return line;
    }

    private void Start(NodePeerSetup setup)
    {
        WireGuardPeer peer = _node.AddPeer(setup);
        // A spoke dials its (new) hub at once, as at start (SpokePolicy.OnStart).
        if (Config.Role == NodeRole.Spoke) _node.WireGuard.SendKeepalive(peer);
    }

    /// <summary>Builds the effective table for <see cref="Config"/> and <see cref="Rules"/> and swaps it in.</summary>
    private void Install()
    {
        var byIndex = new WireGuardPeer?[Config.Peers.Count];
        for (int i = 0; i < byIndex.Length; i++) byIndex[i] = _node.PeerById(Config.Peers[i].Id);
        _node.SetRouting(Rules.BuildTable(Config), byIndex);
    }

    /// <summary>The host commands of a config's plan (interface name fixed: only the config's part is compared).</summary>
    private static IEnumerable<string> PlanCommands(OverlayConfig c) =>
        Plan.NetworkPlan.Build(c, new Plan.NetworkPlanOptions(Plan.NetworkPlan.BuildOs, "tun")).Steps.Select(s => s.CommandLine);

    private static string Lower(bool b) => b ? "true" : "false";

    private string PeerList() =>
        Config.Peers.Count == 0 ? "none" : string.Join(", ", Config.Peers.Select(p => $"{p.Id} ({p.Name})"));

    private static bool SameBytes(byte[]? a, byte[]? b) =>
        a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static NodePeerSetup WithLocal(NodePeerSetup s, LocalIdentity local) => new()
    {
        Id = s.Id,
        Name = s.Name,
        Local = local,
        RemoteStatic = s.RemoteStatic,
        Psk = s.Psk,
        Endpoint = s.Endpoint,
        PersistentKeepaliveSeconds = s.PersistentKeepaliveSeconds,
        AllowedSources = s.AllowedSources,
    };
}
