using System.Net;
using Overlay.Protocol.Config;
using Overlay.Protocol.Routing;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>Rule parsing and layering over the role-derived table (PolicyRuleSet, docs/control.md).</summary>
public sealed class PolicyRuleSetTests
{
    private static OverlayConfig Hub(int spokes = 2)
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(FakeOverlay.HubJson(spokes), "hub");
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return r.Config!;
    }

    private static PolicyRule Rule(string prefix, string action, int? peer = null)
    {
        Assert.True(PolicyRule.TryParse(prefix, action, peer, out PolicyRule rule, out string error), error);
        return rule;
    }

    private static RouteTarget Lookup(ForwardingTable t, string address) => t.Lookup(IPAddress.Parse(address).GetAddressBytes());

    [Fact]
    public void BuildTable_RuleWithSamePrefixAsConfigRoute_RuleWins()
    {
        // The hub's config routes 198.19.0.3/32 to peer 3; a drop rule on the same prefix replaces it.
        var rules = PolicyRuleSet.Empty.With(Rule("198.19.0.3/32", "drop"), out _);

        ForwardingTable t = rules.BuildTable(Hub());

        Assert.Equal(RouteKind.Drop, Lookup(t, "198.19.0.3").Kind);
        Assert.Equal(RouteTarget.ToPeer(0, 2), Lookup(t, "198.19.0.2"));
        Assert.Equal(RouteKind.Local, Lookup(t, "198.19.0.1").Kind);
    }

    [Fact]
    public void BuildTable_ShorterRule_LongerConfigRoutesStillWin()
    {
        var rules = PolicyRuleSet.Empty.With(Rule("198.19.0.0/24", "drop"), out _);

        ForwardingTable t = rules.BuildTable(Hub());

        Assert.Equal(RouteTarget.ToPeer(1, 3), Lookup(t, "198.19.0.3"));
        Assert.Equal(RouteKind.Drop, Lookup(t, "198.19.0.77").Kind);
        Assert.Equal(RouteKind.NoRoute, Lookup(t, "198.18.9.9").Kind);
    }

    [Fact]
    public void BuildTable_PeerRule_TargetsConfigIndexOfThatPeer()
    {
        var rules = PolicyRuleSet.Empty.With(Rule("198.18.200.0/24", "peer", 3), out _);

        ForwardingTable t = rules.BuildTable(Hub());

        Assert.Equal(RouteTarget.ToPeer(1, 3), Lookup(t, "198.18.200.5"));
    }

    [Fact]
    public void BuildTable_RuleForPeerNotInConfig_Throws()
    {
        var rules = PolicyRuleSet.Empty.With(Rule("198.18.200.0/24", "peer", 9), out _);

        var e = Assert.Throws<ArgumentException>(() => rules.BuildTable(Hub()));
        Assert.Contains("peer 9", e.Message);
    }

    [Fact]
    public void With_SamePrefix_ReplacesInPlaceAndReturnsOld()
    {
        var rules = PolicyRuleSet.Empty
            .With(Rule("198.18.200.0/24", "drop"), out _)
            .With(Rule("198.18.201.0/24", "local"), out _);

        var replaced = rules.With(Rule("198.18.200.0/24", "peer", 2), out PolicyRule? old);

        Assert.Equal(Rule("198.18.200.0/24", "drop"), old);
        Assert.Equal([Rule("198.18.200.0/24", "peer", 2), Rule("198.18.201.0/24", "local")], replaced.Rules);
        Assert.Equal(2, rules.Count);
    }

    [Fact]
    public void TryRemove_Missing_FalseAndUnchanged()
    {
        var rules = PolicyRuleSet.Empty.With(Rule("198.18.200.0/24", "drop"), out _);

        Assert.False(rules.TryRemove(IPNetwork.Parse("198.18.201.0/24"), out var same));
        Assert.Same(rules, same);
        Assert.True(rules.TryRemove(IPNetwork.Parse("198.18.200.0/24"), out var empty));
        Assert.Equal(0, empty.Count);
    }

    [Fact]
    public void Describe_OverriddenConfigRoute_ListedOnceAsRule()
    {
        var rules = PolicyRuleSet.Empty.With(Rule("198.19.0.3/32", "local"), out _);

        var entries = rules.Describe(Hub());

        var forPrefix = entries.Where(e => e.Route.Destination.ToString() == "198.19.0.3/32").ToArray();
        Assert.Single(forPrefix);
        Assert.True(forPrefix[0].FromRule);
        Assert.Equal(RouteKind.Local, forPrefix[0].Route.Target.Kind);
        Assert.Equal(3, entries.Count);   // rule, hub /32, peer 2 (peer 3's own route is shadowed)
    }

    [Theory]
    [InlineData("198.19.0.0/24", "drop", null, "198.19.0.0/24 -> drop")]
    [InlineData("198.19.0.0/24", "local", null, "198.19.0.0/24 -> local")]
    [InlineData("198.19.0.0/24", "peer", 7, "198.19.0.0/24 -> peer 7")]
    [InlineData("fd00:19::/64", "drop", null, "fd00:19::/64 -> drop")]
    [InlineData("0.0.0.0/0", "drop", null, "0.0.0.0/0 -> drop")]
    public void TryParse_Valid_ParsesRule(string prefix, string action, int? peer, string expected)
    {
        Assert.True(PolicyRule.TryParse(prefix, action, peer, out PolicyRule rule, out string error), error);
        Assert.Equal(expected, rule.ToString());
    }

    [Theory]
    [InlineData("198.19.0.0", "drop", null, "missing '/prefix'")]
    [InlineData("198.19.0.300/24", "drop", null, "is not an IPv4 or IPv6 address")]
    [InlineData("198.19.0.0/33", "drop", null, "prefix length must be 0..32")]
    [InlineData("198.19.0.9/24", "drop", null, "has host bits set; write the network 198.19.0.0/24")]
    [InlineData("", "drop", null, "missing prefix")]
    [InlineData("198.19.0.0/24", "peer", null, "action 'peer' needs peer_id")]
    [InlineData("198.19.0.0/24", "peer", 0, "peer_id 0 is out of range")]
    [InlineData("198.19.0.0/24", "local", 2, "peer_id only goes with action 'peer'")]
    [InlineData("198.19.0.0/24", "forward", null, "unknown action 'forward'")]
    [InlineData("198.19.0.0/24", null, null, "missing action")]
    public void TryParse_Invalid_FailsWithReason(string prefix, string? action, int? peer, string reason)
    {
        Assert.False(PolicyRule.TryParse(prefix, action, peer, out _, out string error));
        Assert.Contains(reason, error);
    }
}
