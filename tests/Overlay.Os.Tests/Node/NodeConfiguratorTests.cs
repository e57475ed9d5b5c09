using System.Net;
using System.Text;
using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Routing;
using Overlay.Protocol.Stats;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>
/// Live policy and config reload on the production node data path over fake tun/UDP: a hub and
/// spokes in one process (FakeOverlay). Changes are applied between loop turns, as the
/// daemon's loop thread applies them.
/// </summary>
public sealed class NodeConfiguratorTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello");

    private static PolicyRule Rule(string prefix, string action, int? peer = null)
    {
        Assert.True(PolicyRule.TryParse(prefix, action, peer, out PolicyRule rule, out string error), error);
        return rule;
    }

    private static (OverlayConfig Config, NodeSetup Setup) Load(string json, string name = "reloaded")
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(json, name);
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return (r.Config!, NodeSetupBuilder.Build(r.Config!));
    }

    /// <summary>Reloads inside one loop turn, as the daemon runs posted control actions (datagrams flush at EndTurn).</summary>
    private static ReloadSummary Reload(FakeNode node, string json)
    {
        var (config, setup) = Load(json);
        node.DataPath.BeginTurn(node.DataPath.Time.GetTimestamp());
        ReloadSummary summary = node.Configurator.Reload(config, setup, []);
        node.DataPath.EndTurn();
        return summary;
    }

    /// <summary>spoke i sends one packet to <paramref name="destination"/>; true when <paramref name="to"/>'s tun got it.</summary>
    private static bool Send(FakeOverlay o, int from, string destination, FakeNode to, string? source = null)
    {
        byte[] packet = IpPackets.Udp4(source ?? $"198.19.0.{from + 1}", destination, Hello);
        to.Tun.Written.Clear();
        o.Spoke(from).Tun.Inject(packet);
        o.Pump();
        byte[]? got = to.Tun.Written.DequeueCopy();
        return got is not null && got.AsSpan().SequenceEqual(packet);
    }

    /// <summary>Sessions and non-zero drops of a node, for assertion messages.</summary>
    private static string Counts(FakeNode n)
    {
        var parts = new List<string>();
        for (int i = 0; i < DropReasons.Count; i++)
            if (n.DataPath.Counters.Dropped((DropReason)i) is > 0 and var c) parts.Add($"{DropReasons.Name((DropReason)i)}={c}");
        return $"sessions={n.DataPath.Counters.SessionsEstablished} " + string.Join(" ", parts);
    }

    // ---- policy -------------------------------------------------------------------------

    [Fact]
    public void AddRule_DropOnSpokePrefix_RelayStopsAndCountsPolicyDrop()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        Assert.True(Send(o, 1, "198.19.0.3", o.Spoke(2)));

        string message = o.Hub.Configurator.AddRule(Rule("198.19.0.3/32", "drop"));

        Assert.Equal("added rule 198.19.0.3/32 -> drop", message);
        Assert.False(Send(o, 1, "198.19.0.3", o.Spoke(2)));
        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.PolicyDrop));
    }

    [Fact]
    public void DeleteRule_AfterDrop_ConfigRouteBackWithoutNewHandshake()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        o.Hub.Configurator.AddRule(Rule("198.19.0.3/32", "drop"));
        long sessions = o.Hub.DataPath.Counters.SessionsEstablished;

        string message = o.Hub.Configurator.DeleteRule(IPNetwork.Parse("198.19.0.3/32"));

        Assert.Equal("deleted rule 198.19.0.3/32 -> drop", message);
        Assert.True(Send(o, 1, "198.19.0.3", o.Spoke(2)));
        Assert.Equal(sessions, o.Hub.DataPath.Counters.SessionsEstablished);
    }

    [Fact]
    public void AddRule_LocalOnSpokeAddress_DeliveredToHubTun()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();

        o.Hub.Configurator.AddRule(Rule("198.19.0.3/32", "local"));

        Assert.True(Send(o, 1, "198.19.0.3", o.Hub));
        Assert.Equal(0, o.Spoke(2).Tun.Written.Count);
    }

    [Fact]
    public void AddRule_PeerForExtraPrefix_RelayedToThatPeer()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        Assert.False(Send(o, 1, "198.19.0.99", o.Spoke(2)));   // no route at the hub
        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.NoRoute));

        o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "peer", 3));
        long relayed = o.Hub.DataPath.Counters.RelayPackets;

        // spoke2 has no local route for .99 (its table sends it back to the hub), so watch the hub relay it.
        o.Spoke(1).Tun.Inject(IpPackets.Udp4("198.19.0.2", "198.19.0.99", Hello));
        o.Pump();

        Assert.Equal(relayed + 1, o.Hub.DataPath.Counters.RelayPackets);
        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.NoRoute));
    }

    [Fact]
    public void AddRule_SamePrefixTwice_ReplacesAndSaysSo()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "drop"));

        string message = o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "peer", 2));

        Assert.Equal("replaced rule 198.19.0.96/28 -> drop with 198.19.0.96/28 -> peer 2", message);
        Assert.Single(o.Hub.Configurator.Rules.Rules);
    }

    [Fact]
    public void AddRule_UnknownPeer_RefusedNamingConfiguredPeers()
    {
        var o = FakeOverlay.HubAndSpokes(2);

        var e = Assert.Throws<NodeConfigException>(() => o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "peer", 9)));

        Assert.Equal("unknown peer id 9; configured peers: 2 (spoke1), 3 (spoke2)", e.Message);
        Assert.Empty(o.Hub.Configurator.Rules.Rules);
    }

    [Fact]
    public void DeleteRule_Missing_RefusedListingRules()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "drop"));

        var e = Assert.Throws<NodeConfigException>(() => o.Hub.Configurator.DeleteRule(IPNetwork.Parse("198.19.0.0/24")));

        Assert.Equal("no rule for 198.19.0.0/24 (rules: 198.19.0.96/28)", e.Message);
    }

    [Fact]
    public void View_RuleOverridesConfigRoute_TableLongestFirstWithSources()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Hub.Configurator.AddRule(Rule("198.19.0.3/32", "drop"));
        o.Hub.Configurator.AddRule(Rule("198.19.0.0/24", "peer", 2));

        PolicyView v = o.Hub.Configurator.View();

        Assert.Equal(["198.19.0.3/32", "198.19.0.0/24"], v.Rules.Select(r => r.Prefix));
        Assert.Equal(
            ["198.19.0.3/32 drop rule", "198.19.0.1/32 local config", "198.19.0.2/32 peer config", "198.19.0.0/24 peer rule"],
            v.Table.Select(e => $"{e.Prefix} {e.Action} {e.Source}"));
        Assert.Equal("spoke1", v.Table[2].PeerName);
    }

    [Fact]
    public void LoadRules_PeerNotInConfig_SkippedWithWarningNamingIt()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        var warnings = new List<string>();

        int n = o.Hub.Configurator.LoadRules([Rule("198.19.0.96/28", "peer", 9), Rule("198.19.0.3/32", "drop")], warnings.Add);

        Assert.Equal(1, n);
        Assert.Equal(["saved rule 198.19.0.96/28 -> peer 9 skipped: peer 9 is not in the config"], warnings);
        o.Start();
        Assert.False(Send(o, 1, "198.19.0.3", o.Spoke(2)));
        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.PolicyDrop));
    }

    // ---- reload -------------------------------------------------------------------------

    [Fact]
    public void Reload_AddThirdSpoke_ItComesUpAndOthersKeepSessions()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        WireGuardPeer p2 = o.Hub.DataPath.PeerById(2)!, p3 = o.Hub.DataPath.PeerById(3)!;
        DateTimeOffset? hs2 = p2.LastHandshake, hs3 = p3.LastHandshake;
        long initiations = o.Hub.DataPath.Counters.HandshakeInitiationsReceived;
        o.Time.Advance(TimeSpan.FromSeconds(5));

        ReloadSummary s = Reload(o.Hub, FakeOverlay.HubJson(3));

        Assert.Equal([4], s.Added);
        Assert.Equal([2, 3], s.Unchanged);
        Assert.Empty(s.Removed);
        Assert.Empty(s.Changed);
        Assert.Same(p2, o.Hub.DataPath.PeerById(2));
        Assert.Same(p3, o.Hub.DataPath.PeerById(3));

        FakeNode s3 = o.Add("spoke3", FakeOverlay.SpokeJson(3), "198.18.3.2:40000", isHub: false);
        s3.DataPath.Start();
        o.Pump();
        Assert.True(Send(o, 3, "198.19.0.2", o.Spoke(1)));
        Assert.True(Send(o, 1, "198.19.0.4", s3));
        Assert.True(Send(o, 1, "198.19.0.3", o.Spoke(2)));

        // Only spoke3 handshook; spokes 1 and 2 still use their first sessions.
        Assert.Equal(initiations + 1, o.Hub.DataPath.Counters.HandshakeInitiationsReceived);
        Assert.Equal(hs2, p2.LastHandshake);
        Assert.Equal(hs3, p3.LastHandshake);
        Assert.True(o.Hub.DataPath.WireGuard.HasSession(p2) && o.Hub.DataPath.WireGuard.HasSession(p3));
    }

    [Fact]
    public void Reload_RemovePeer_GoneAndItsRulesDropped()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        WireGuardPeer p3 = o.Hub.DataPath.PeerById(3)!;
        o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "peer", 3));

        ReloadSummary s = Reload(o.Hub, FakeOverlay.HubJson(1));

        Assert.Equal([3], s.Removed);
        Assert.Equal([2], s.Unchanged);
        Assert.Equal("198.19.0.96/28", Assert.Single(s.RulesDropped).Prefix);
        Assert.Null(o.Hub.DataPath.PeerById(3));
        Assert.False(o.Hub.DataPath.WireGuard.HasSession(p3));
        Assert.Empty(o.Hub.Configurator.Rules.Rules);
        Assert.False(Send(o, 1, "198.19.0.3", o.Spoke(2)));
        Assert.Equal(1, o.Hub.DataPath.Counters.Dropped(DropReason.NoRoute));
    }

    [Fact]
    public void Reload_ChangedPsk_PeerReplacedAndNewSessionWorks()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        WireGuardPeer old = o.Hub.DataPath.PeerById(3)!;
        string newPsk = new string('7', 64);
        string hubJson = FakeOverlay.HubJson(2).Replace(FakeOverlay.Psk(2), newPsk);

        ReloadSummary s = Reload(o.Hub, hubJson);
        Reload(o.Spoke(2), FakeOverlay.SpokeJson(2, psk: newPsk));
        o.Pump();

        ReloadPeerChange c = Assert.Single(s.Changed);
        Assert.Equal((3, "new"), (c.Id, c.Session));
        Assert.Equal(["psk"], c.Changed);
        Assert.NotSame(old, o.Hub.DataPath.PeerById(3));
        Assert.False(o.Hub.DataPath.WireGuard.HasSession(old));
        Assert.True(Send(o, 1, "198.19.0.3", o.Spoke(2)), string.Join(", ", o.Nodes.Select(n => n.Name + ": " + Counts(n))));
    }

    [Fact]
    public void Reload_ChangedNameAndAllowedSrc_UpdatedInPlaceSessionKept()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        WireGuardPeer p3 = o.Hub.DataPath.PeerById(3)!;
        DateTimeOffset? handshake = p3.LastHandshake;
        string hubJson = FakeOverlay.HubJson(2)
            .Replace("\"spoke2\"", "\"office\"")
            .Replace("\"198.19.0.3/32\"", "[\"198.19.0.3/32\", \"198.19.0.64/27\"]");

        ReloadSummary s = Reload(o.Hub, hubJson);

        ReloadPeerChange c = Assert.Single(s.Changed);
        Assert.Equal((3, "office", "kept"), (c.Id, c.Name, c.Session));
        Assert.Equal(["name", "allowed_src"], c.Changed);
        Assert.Same(p3, o.Hub.DataPath.PeerById(3));
        Assert.Equal("office", p3.Name);
        Assert.Equal(handshake, p3.LastHandshake);
        // The hub now accepts 198.19.0.64/27 as spoke2's source and relays it to spoke1.
        Assert.True(Send(o, 2, "198.19.0.2", o.Spoke(1), source: "198.19.0.70"));
    }

    [Fact]
    public void Reload_SpokeKeepaliveChanged_AppliedInPlace()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        WireGuardPeer hub = o.Spoke(1).DataPath.PeerById(1)!;
        string json = FakeOverlay.SpokeJson(1).Replace("\"listen_port\": 40000,", "\"listen_port\": 40000, \"keepalive_secs\": 5,");

        ReloadSummary s = Reload(o.Spoke(1), json);

        Assert.Equal(["keepalive_secs"], Assert.Single(s.Changed).Changed);
        Assert.Equal(5, hub.PersistentKeepaliveSeconds);
        Assert.Same(hub, o.Spoke(1).DataPath.PeerById(1));
    }

    [Fact]
    public void Reload_RoleChanged_RefusedAndNothingApplied()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        o.Hub.Configurator.AddRule(Rule("198.19.0.96/28", "drop"));
        var (spokeConfig, setup) = Load(FakeOverlay.SpokeJson(1).Replace("\"local_id\": 2", "\"local_id\": 1").Replace("\"id\": 1,", "\"id\": 5,"));

        var e = Assert.Throws<NodeConfigException>(() => o.Hub.Configurator.Reload(spokeConfig, setup, []));

        Assert.Equal("restart required: role hub -> spoke; nothing was applied", e.Message);
        Assert.Equal(NodeRole.Hub, o.Hub.Configurator.Config.Role);
        Assert.Single(o.Hub.Configurator.Rules.Rules);
        Assert.True(o.Hub.DataPath.WireGuard.HasSession(o.Hub.DataPath.PeerById(2)!));
    }

    [Fact]
    public void Reload_TunNameAndMtuChanged_ReportedAsRestartRequiredRestApplied()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        string json = FakeOverlay.HubJson(3, mtu: 1380).Replace("\"role\": \"hub\",", "\"role\": \"hub\", \"tun_name\": \"ovl9\",");

        ReloadSummary s = Reload(o.Hub, json);

        Assert.Equal(["tun_name snr0 -> ovl9", "local_tun_mtu 1420 -> 1380"], s.RestartRequired);
        Assert.Equal([4], s.Added);
        Assert.Equal(1420, o.Hub.DataPath.Mtu);
        Assert.Contains("restart required: tun_name snr0 -> ovl9; local_tun_mtu 1420 -> 1380 (running values kept)", NodeConfigurator.Describe(s));
    }

    [Fact]
    public void Reload_SpokeRoutesChanged_HostPlanReportedAsRestartRequired()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        string json = FakeOverlay.SpokeJson(1).Replace("\"listen_port\": 40000,", "\"listen_port\": 40000, \"remote_routes\": [\"198.19.0.0/24\", \"198.18.64.0/24\"],");

        ReloadSummary s = Reload(o.Spoke(1), json);

        Assert.Equal(["network plan (local_tun_ip, routes or forwarding): the host keeps the plan applied at start"], s.RestartRequired);
    }

    [Fact]
    public void Reload_ApplyNetworkPlanChanged_ReportedAsRestartRequired()
    {
        var o = FakeOverlay.HubAndSpokes(1);
        o.Start();
        string json = FakeOverlay.SpokeJson(1).Replace("\"listen_port\": 40000,", "\"listen_port\": 40000, \"apply_network_plan\": false,");

        ReloadSummary s = Reload(o.Spoke(1), json);

        Assert.Equal(["apply_network_plan true -> false"], s.RestartRequired);
    }

    [Fact]
    public void Reload_SameConfig_AllUnchangedNoHandshake()
    {
        var o = FakeOverlay.HubAndSpokes(2);
        o.Start();
        long initiations = o.Hub.DataPath.Counters.HandshakeInitiationsReceived;

        ReloadSummary s = Reload(o.Hub, FakeOverlay.HubJson(2));
        o.Pump();

        Assert.Equal([2, 3], s.Unchanged);
        Assert.Empty(s.Added);
        Assert.Empty(s.Changed);
        Assert.Equal("reloaded reloaded: 0 added, 0 removed, 0 changed, 2 unchanged", NodeConfigurator.Describe(s));
        Assert.True(Send(o, 1, "198.19.0.3", o.Spoke(2)));
        Assert.Equal(initiations, o.Hub.DataPath.Counters.HandshakeInitiationsReceived);
    }
}
