using System.Net;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Routing;

/// <summary>What a live policy rule does with packets to its prefix.</summary>
public enum PolicyAction : byte
{
    /// <summary>Encrypt and send to the peer named by id.</summary>
    Peer = 0,
    /// <summary>Deliver to this node's tun.</summary>
    Local = 1,
    /// <summary>Drop and count <c>policy_drop</c>.</summary>
    Drop = 2,
}

/// <summary>One live rule: a destination prefix, an action and (for <see cref="PolicyAction.Peer"/>) a peer id.</summary>
public readonly record struct PolicyRule(IPNetwork Prefix, PolicyAction Action, ushort PeerId)
{
    public static string ActionName(PolicyAction action) => action switch
    {
        PolicyAction.Peer => "peer",
        PolicyAction.Local => "local",
        _ => "drop",
    };

    public override string ToString() => Action == PolicyAction.Peer ? $"{Prefix} -> peer {PeerId}" : $"{Prefix} -> {ActionName(Action)}";

    /// <summary>
    /// Parses a rule as the control protocol carries it: <paramref name="prefix"/> a CIDR with
    /// no host bits set, <paramref name="action"/> "peer" (with <paramref name="peerId"/>
    /// 1..65535), "local" or "drop" (without a peer id). Errors are one sentence.
    /// </summary>
    public static bool TryParse(string? prefix, string? action, int? peerId, out PolicyRule rule, out string error)
    {
        rule = default;
        if (!TryParsePrefix(prefix, out IPNetwork network, out error)) return false;
        switch (action)
        {
            case "peer":
                if (peerId is not int id)
                {
                    error = "action 'peer' needs peer_id (the peer's id from the config)";
                    return false;
                }
                if (id is < 1 or > 65535)
                {
                    error = $"peer_id {id} is out of range 1..65535";
                    return false;
                }
                rule = new PolicyRule(network, PolicyAction.Peer, (ushort)id);
                return true;
            case "local" or "drop":
                if (peerId is not null)
                {
                    error = $"peer_id only goes with action 'peer', not '{action}'";
                    return false;
                }
                rule = new PolicyRule(network, action == "local" ? PolicyAction.Local : PolicyAction.Drop, 0);
                return true;
            case null:
                error = "missing action: one of peer, local, drop";
                return false;
            default:
                error = $"unknown action '{action}': one of peer, local, drop";
                return false;
        }
    }

    /// <summary>
    /// A rule prefix: <c>address/length</c>, IPv4 or IPv6, host bits clear. Host bits are an
    /// error here (the config only warns) because a rule is typed by hand at a prompt and a
    /// silently widened rule could capture traffic the operator did not mean.
    /// </summary>
    public static bool TryParsePrefix(string? text, out IPNetwork network, out string error)
    {
        network = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "missing prefix (a CIDR such as 198.18.5.0/24)";
            return false;
        }
        if (!AddressText.TryParseCidr(text, out IPAddress address, out int length, out error)) return false;
        network = AddressText.ToNetwork(address, length);
        if (!network.BaseAddress.Equals(address))
        {
            error = $"'{text}' has host bits set; write the network {network}";
            return false;
        }
        return true;
    }
}

/// <summary>
/// The live policy (DESIGN.md §7, issue 4 item 3): longest-prefix rules layered over the
/// role-derived table. The effective table holds every rule and every config route; longest
/// prefix wins across both, and a rule whose prefix equals a config route's replaces that
/// route (rules go in first, and on an equal prefix <see cref="ForwardingTable"/> keeps the
/// first). At most one rule per prefix. Immutable: changes return a new set.
/// </summary>
public sealed class PolicyRuleSet
{
    private readonly PolicyRule[] _rules;

    private PolicyRuleSet(PolicyRule[] rules) => _rules = rules;

    public static PolicyRuleSet Empty { get; } = new([]);

    /// <summary>Rules in the order they were first added.</summary>
    public IReadOnlyList<PolicyRule> Rules => _rules;

    public int Count => _rules.Length;

    public PolicyRule? Find(IPNetwork prefix)
    {
        foreach (PolicyRule r in _rules)
            if (r.Prefix.Equals(prefix)) return r;
        return null;
    }

    /// <summary>Adds <paramref name="rule"/>, or replaces the rule with the same prefix (keeping its position); <paramref name="replaced"/> is the old one.</summary>
    public PolicyRuleSet With(PolicyRule rule, out PolicyRule? replaced)
    {
        for (int i = 0; i < _rules.Length; i++)
        {
            if (!_rules[i].Prefix.Equals(rule.Prefix)) continue;
            replaced = _rules[i];
            var copy = (PolicyRule[])_rules.Clone();
            copy[i] = rule;
            return new PolicyRuleSet(copy);
        }
        replaced = null;
        return new PolicyRuleSet([.. _rules, rule]);
    }

    /// <summary>Removes the rule for <paramref name="prefix"/>; false (and this set) when there is none.</summary>
    public bool TryRemove(IPNetwork prefix, out PolicyRuleSet result)
    {
        int i = Array.FindIndex(_rules, r => r.Prefix.Equals(prefix));
        if (i < 0)
        {
            result = this;
            return false;
        }
        result = new PolicyRuleSet([.. _rules[..i], .. _rules[(i + 1)..]]);
        return true;
    }

    /// <summary>Keeps only the rules <paramref name="keep"/> accepts; <paramref name="removed"/> lists the others.</summary>
    public PolicyRuleSet Where(Func<PolicyRule, bool> keep, out IReadOnlyList<PolicyRule> removed)
    {
        var kept = new List<PolicyRule>(_rules.Length);
        var gone = new List<PolicyRule>();
        foreach (PolicyRule r in _rules) (keep(r) ? kept : gone).Add(r);
        removed = gone;
        return gone.Count == 0 ? this : new PolicyRuleSet(kept.ToArray());
    }

    /// <summary>
    /// The effective forwarding table for <paramref name="config"/> with these rules: rules
    /// first (so they win an equal prefix), then <see cref="ForwardingTable.RoutesFor"/>.
    /// A peer rule's target carries the peer's index in <c>config.Peers</c>. Throws when a
    /// rule names a peer the config does not have (callers drop those first, see
    /// <see cref="Where"/>).
    /// </summary>
    public ForwardingTable BuildTable(OverlayConfig config) => new(EffectiveRoutes(config));

    /// <summary>The entries of <see cref="BuildTable"/>, each flagged with whether it came from a rule.</summary>
    public IReadOnlyList<(Route Route, bool FromRule)> Describe(OverlayConfig config)
    {
        var result = new List<(Route, bool)>();
        var seen = new HashSet<IPNetwork>();
        foreach (Route r in RuleRoutes(config)) { seen.Add(r.Destination); result.Add((r, true)); }
        foreach (Route r in ForwardingTable.RoutesFor(config))
            if (seen.Add(r.Destination)) result.Add((r, false));
        return result;
    }

    private IEnumerable<Route> EffectiveRoutes(OverlayConfig config) => RuleRoutes(config).Concat(ForwardingTable.RoutesFor(config));

    private IEnumerable<Route> RuleRoutes(OverlayConfig config)
    {
        foreach (PolicyRule r in _rules)
        {
            RouteTarget target = r.Action switch
            {
                PolicyAction.Local => RouteTarget.Local,
                PolicyAction.Drop => RouteTarget.Drop,
                _ => config.FindPeer(r.PeerId) is { } p
                    ? RouteTarget.ToPeer(p.Index, p.Id)
                    : throw new ArgumentException($"rule {r} names peer {r.PeerId}, which is not in the config", nameof(config)),
            };
            yield return new Route(r.Prefix, target);
        }
    }
}
