using System.CommandLine;
using Overlay.Os.Control;
using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;

namespace Overlay.Cli;

/// <summary>
/// Control-socket commands that change a running daemon (docs/control.md):
/// <c>subnetra policy add PREFIX --to peer:ID|local|drop</c>, <c>policy del PREFIX</c>,
/// <c>policy show [--json]</c>, <c>save</c> and <c>reload [--json]</c>. Exit 0 when the daemon
/// did it; 1 when it is not running, does not answer or refuses (its reason on stderr);
/// 2 for a usage error caught before asking.
/// </summary>
public static class PolicyCommand
{
    /// <summary>A reload re-reads the config and may resolve host names, so it gets more time than status.</summary>
    public static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(30);

    public static Command CreatePolicy()
    {
        var policy = new Command("policy", "Show or change the running daemon's live routing rules (longest prefix wins; a rule overrides a config route with the same prefix). Rules last until the daemon stops unless you run 'subnetra save'.");

        var addPrefix = new Argument<string>("PREFIX") { Description = "Destination prefix, e.g. 198.19.0.0/24 or 2001:db8::/64 (host bits must be clear)" };
        addPrefix.Validators.Add(ValidatePrefix);
        var to = new Option<string>("--to")
        {
            Description = "What to do with packets to PREFIX: peer:ID (send to the configured peer with that id), local (deliver to this node's tun) or drop (discard, counted as policy_drop)",
            HelpName = "peer:ID|local|drop",
            Required = true,
        };
        to.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is string t && !TryParseTarget(t, out _, out _))
                r.AddError($"--to must be peer:ID (ID 1..65535), local or drop, not '{t}'");
        });
        var addSocket = DaemonCall.SocketOption();
        var add = new Command("add", "Add a rule, or replace the rule for the same prefix (the reply says which)") { addPrefix, to, addSocket };
        add.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            TryParseTarget(parse.GetValue(to)!, out string action, out int? peerId);
            var request = new ControlRequest { Command = ControlCommands.PolicyAdd, Prefix = parse.GetValue(addPrefix), Action = action, PeerId = peerId };
            return RunAsync(parse, addSocket, request, json: false, PrintMessage, ct);
        });
        policy.Subcommands.Add(add);

        var delPrefix = new Argument<string>("PREFIX") { Description = "Prefix of the rule to delete, exactly as 'policy show' lists it" };
        delPrefix.Validators.Add(ValidatePrefix);
        var delSocket = DaemonCall.SocketOption();
        var del = new Command("del", "Delete the rule for PREFIX (config routes cannot be deleted; override them with a rule)") { delPrefix, delSocket };
        del.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            var request = new ControlRequest { Command = ControlCommands.PolicyDel, Prefix = parse.GetValue(delPrefix) };
            return RunAsync(parse, delSocket, request, json: false, PrintMessage, ct);
        });
        policy.Subcommands.Add(del);

        var showJson = new Option<bool>("--json") { Description = "Print the policy object as the daemon sent it, one line of JSON (rules and table, see docs/control.md)" };
        var showSocket = DaemonCall.SocketOption();
        var show = new Command("show", "List the rules and the effective forwarding table they produce") { showJson, showSocket };
        show.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            bool json = parse.GetValue(showJson);
            return RunAsync(parse, showSocket, new ControlRequest { Command = ControlCommands.PolicyShow }, json,
                (r, w) => { if (json) w.WriteLine(r.Member("policy") ?? "null"); else RenderPolicy(r.Response.Policy ?? new PolicyView(), w); }, ct);
        });
        policy.Subcommands.Add(show);
        return policy;
    }

    public static Command CreateSave()
    {
        var socket = DaemonCall.SocketOption();
        var save = new Command("save", $"Write the daemon's current policy rules to its state file (atomically, mode 0600), which subnetrad loads at start. Path: ${PolicyStateFile.EnvironmentVariable} of the daemon, else {PolicyStateFile.DefaultDirectory}/<tun_name>.state.json") { socket };
        save.SetAction((ParseResult parse, CancellationToken ct) =>
            RunAsync(parse, socket, new ControlRequest { Command = ControlCommands.Save }, json: false, PrintMessage, ct));
        return save;
    }

    public static Command CreateReload()
    {
        var json = new Option<bool>("--json") { Description = "Print the reload summary as the daemon sent it, one line of JSON" };
        var socket = DaemonCall.SocketOption();
        var reload = new Command("reload", "Re-read the daemon's config file and apply it live (same as SIGHUP): added peers come up, removed ones go, changed ones are updated, unchanged peers keep their sessions. An invalid file is refused with the errors of 'subnetrad --check' and the running config stays.") { json, socket };
        reload.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            bool asJson = parse.GetValue(json);
            return RunAsync(parse, socket, new ControlRequest { Command = ControlCommands.Reload }, asJson,
                (r, w) => { if (asJson) w.WriteLine(r.Member("reload") ?? "null"); else RenderReload(r.Response, w); }, ct, ReloadTimeout);
        });
        return reload;
    }

    /// <summary>Parses --to: <c>peer:ID</c>, <c>local</c> or <c>drop</c>.</summary>
    public static bool TryParseTarget(string text, out string action, out int? peerId)
    {
        peerId = null;
        action = text;
        if (text is "local" or "drop") return true;
        if (text.StartsWith("peer:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)
            && id is >= 1 and <= 65535)
        {
            action = "peer";
            peerId = id;
            return true;
        }
        return false;
    }

    public static void RenderPolicy(PolicyView p, TextWriter w)
    {
        if (p.Rules.Count == 0)
        {
            w.WriteLine("rules: none");
        }
        else
        {
            w.WriteLine($"rules: {p.Rules.Count}");
            var rows = new List<string[]> { new[] { "PREFIX", "ACTION" } };
            foreach (PolicyRuleInfo r in p.Rules) rows.Add([r.Prefix, r.PeerId is int id ? $"peer:{id}" : r.Action]);
            StatusCommand.WriteTable(rows, w);
        }
        w.WriteLine();
        if (p.Table.Count == 0)
        {
            w.WriteLine("table: empty (every packet is dropped as no_route)");
            return;
        }
        w.WriteLine("table (longest prefix first):");
        var table = new List<string[]> { new[] { "PREFIX", "TARGET", "SOURCE" } };
        foreach (TableEntryInfo e in p.Table)
        {
            string target = e.PeerId is int id ? $"peer {id}" + (e.PeerName is { } n ? $" ({n})" : "") : e.Action;
            table.Add([e.Prefix, target, e.Source]);
        }
        StatusCommand.WriteTable(table, w);
    }

    public static void RenderReload(ControlResponse r, TextWriter w)
    {
        ReloadSummary? s = r.Reload;
        w.WriteLine(r.Message ?? "reloaded");
        if (s is null) return;
        foreach (string warning in s.Warnings) w.WriteLine(warning);
        if (s.Added.Count > 0) w.WriteLine($"  added: {string.Join(", ", s.Added)}");
        if (s.Removed.Count > 0) w.WriteLine($"  removed: {string.Join(", ", s.Removed)} (keys zeroed)");
        foreach (ReloadPeerChange c in s.Changed)
            w.WriteLine($"  changed: {c.Id} ({c.Name}): {string.Join(", ", c.Changed)}; session {(c.Session == "kept" ? "kept" : "new (handshake follows)")}");
        if (s.Unchanged.Count > 0) w.WriteLine($"  unchanged: {string.Join(", ", s.Unchanged)} (sessions kept)");
        foreach (string restart in s.RestartRequired) w.WriteLine($"  restart required: {restart}");
    }

    private static void PrintMessage(DaemonReply r, TextWriter w) => w.WriteLine(r.Response.Message ?? "ok");

    /// <summary>
    /// The prefix is checked here, before the daemon is asked (exit 2 without a daemon), with
    /// the same parser the daemon uses: a CIDR whose host bits are clear.
    /// </summary>
    private static void ValidatePrefix(System.CommandLine.Parsing.ArgumentResult r)
    {
        string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (!AddressText.TryParseCidr(text, out var address, out int length, out string error))
        {
            r.AddError($"PREFIX '{text}': {error}");
            return;
        }
        var network = AddressText.ToNetwork(address, length);
        if (!network.BaseAddress.Equals(address))
            r.AddError($"PREFIX '{text}' has host bits set; did you mean {network}?");
    }

    private static Task<int> RunAsync(ParseResult parse, Option<string?> socket, ControlRequest request, bool json,
        Action<DaemonReply, TextWriter> print, CancellationToken ct, TimeSpan? timeout = null)
    {
        InvocationConfiguration io = parse.InvocationConfiguration;
        return DaemonCall.RunAsync(DaemonCall.SocketPath(parse, socket), request, io.Output, io.Error, print, timeout ?? StatusCommand.RequestTimeout, ct);
    }
}
