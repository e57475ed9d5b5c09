using Overlay.Protocol.Routing;

namespace Overlay.Protocol.Control;

/// <summary>
/// One policy rule on the wire and in the state file: <c>{"prefix":"198.18.5.0/24","action":"peer","peer_id":3}</c>;
/// <c>peer_id</c> only with action <c>peer</c>. Field meanings: docs/control.md.
/// </summary>
public sealed class PolicyRuleInfo
{
    public string Prefix { get; init; } = "";

    /// <summary><c>peer</c>, <c>local</c> or <c>drop</c>.</summary>
    public string Action { get; init; } = "";

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? PeerId { get; init; }

    public static PolicyRuleInfo From(PolicyRule r) => new()
    {
        Prefix = r.Prefix.ToString(),
        Action = PolicyRule.ActionName(r.Action),
        PeerId = r.Action == PolicyAction.Peer ? r.PeerId : null,
    };
}

/// <summary>One entry of the effective forwarding table.</summary>
public sealed class TableEntryInfo
{
    public string Prefix { get; init; } = "";

    /// <summary><c>peer</c>, <c>local</c> or <c>drop</c>.</summary>
    public string Action { get; init; } = "";

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? PeerId { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? PeerName { get; init; }

    /// <summary><c>rule</c> (live policy) or <c>config</c> (role-derived).</summary>
    public string Source { get; init; } = "";
}

/// <summary>The <c>policy</c> member of a policy reply: the rules and the table they produce.</summary>
public sealed class PolicyView
{
    public IReadOnlyList<PolicyRuleInfo> Rules { get; init; } = [];

    /// <summary>Longest prefix first, as a lookup would try them.</summary>
    public IReadOnlyList<TableEntryInfo> Table { get; init; } = [];
}

/// <summary>One peer a reload changed.</summary>
public sealed class ReloadPeerChange
{
    public int Id { get; init; }
    public string Name { get; init; } = "";

    /// <summary>Config keys that differ: <c>psk</c>, <c>public_key</c>, <c>private_key</c>, <c>endpoint</c>, <c>name</c>, <c>allowed_src</c>, <c>keepalive_secs</c>.</summary>
    public IReadOnlyList<string> Changed { get; init; } = [];

    /// <summary><c>kept</c> (updated in place, session and keypair kept) or <c>new</c> (peer replaced: keys zeroed, a new handshake follows).</summary>
    public string Session { get; init; } = "";
}

/// <summary>The <c>reload</c> member of a reload reply.</summary>
public sealed class ReloadSummary
{
    /// <summary>The config file that was read.</summary>
    public string Config { get; init; } = "";
    public IReadOnlyList<int> Added { get; init; } = [];
    public IReadOnlyList<int> Removed { get; init; } = [];
    public IReadOnlyList<ReloadPeerChange> Changed { get; init; } = [];
    public IReadOnlyList<int> Unchanged { get; init; } = [];

    /// <summary>Settings that differ but only take effect after a restart, e.g. <c>tun_name snr0 -&gt; snr1</c>; the running value stays.</summary>
    public IReadOnlyList<string> RestartRequired { get; init; } = [];

    /// <summary>Policy rules removed because their peer is no longer in the config.</summary>
    public IReadOnlyList<PolicyRuleInfo> RulesDropped { get; init; } = [];

    /// <summary>Config warnings (as <c>--check</c> prints them).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The state file <c>subnetra save</c> writes and <c>subnetrad</c> loads at start:
/// <c>{"schema_version":1,"rules":[...]}</c>. See docs/control.md.
/// </summary>
public sealed class PolicyStateDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public IReadOnlyList<PolicyRuleInfo> Rules { get; init; } = [];
}
