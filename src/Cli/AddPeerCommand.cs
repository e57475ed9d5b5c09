using System.CommandLine;
using System.Text.Json.Nodes;
using Overlay.Protocol.Config;
using Overlay.Protocol.Control;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra add-peer --config HUB.json --name NAME [--os linux|macos] [--id N] [--ip ADDR]
/// [--lan CIDR]... [--wireguard [--qr]] [--output FILE] [--force] [--reload [--socket PATH]]</c>
/// (issue 13 item 2). Order of work, so a failure leaves nothing half done: load and validate
/// the hub; plan the spoke (<see cref="PeerPlan"/>); validate the new hub text exactly as
/// <c>--check</c> would; write the spoke file (0600, exclusive); replace the hub file
/// atomically (temp file, fsync, rename, original mode kept; on failure the spoke file is
/// removed again); then print the next steps or, with --reload, ask the hub daemon to reload.
/// </summary>
public static class AddPeerCommand
{
    public static Command Create()
    {
        var config = CliCommand.ConfigOption("The hub config to add the peer to");
        var name = new Option<string>("--name", "-n") { Description = "The peer's name (1..48 printable ASCII), unique in the hub", HelpName = "NAME", Required = true };
        var os = new Option<string>("--os") { Description = "The spoke's OS: linux or macos (default linux); macOS ignores tun_name and uses utunN", HelpName = "linux|macos", DefaultValueFactory = _ => "linux" };
        os.AcceptOnlyFromAmong("linux", "macos");
        var id = CliOptions.OptionalInt("--id", 1, 65535, "a peer id", "ID");
        id.Description = "The peer's id (default: one above the highest id in use)";
        var ip = new Option<string?>("--ip") { Description = "The peer's overlay address (default: the first free one in virtual_subnet)", HelpName = "ADDR" };
        var lan = new Option<string[]>("--lan") { Description = "A network behind the spoke, repeatable: becomes the spoke's local_routes and the hub's allowed_src", HelpName = "CIDR", AllowMultipleArgumentsPerToken = false };
        var wireguard = new Option<bool>("--wireguard") { Description = "Write a stock WireGuard (wg-quick) client config instead, for phones and WireGuard apps" };
        var qr = new Option<bool>("--qr") { Description = "With --wireguard: also print the client config as a QR code for a phone to scan" };
        var output = new Option<string?>("--output", "-o") { Description = "The spoke's config file (default ./NAME.json, or ./NAME.conf with --wireguard); mode 0600", HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --output file" };
        var tunName = new Option<string?>("--tun-name") { Description = $"The Linux spoke's interface name (default {OverlayConfig.DefaultTunName})", HelpName = "NAME" };
        var reload = new Option<bool>("--reload") { Description = "Then ask the hub's running daemon to reload its config (same as 'subnetra reload')" };
        var socket = DaemonCall.SocketOption();
        var command = new Command("add-peer", "Add a spoke to a hub config: allocate id and address, generate the link PSK, update the hub file atomically and write the spoke's config (mode 0600)")
        {
            config, name, os, id, ip, lan, wireguard, qr, output, force, tunName, reload, socket,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(qr) && !r.GetValue(wireguard)) r.AddError("--qr needs --wireguard (a QR code is for a WireGuard app to scan)");
            if (r.GetValue(tunName) is string t && !CliCommand.IsInterfaceName(t)) r.AddError("--tun-name must be 1..15 characters of letters, digits, '_', '.' or '-'");
            if (r.GetValue(tunName) is not null && r.GetValue(os) == "macos") r.AddError("--tun-name is for Linux spokes: macOS assigns the utunN name itself");
        });
        command.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            var io = parse.InvocationConfiguration;
            var request = new AddPeerRequest(parse.GetValue(name)!, parse.GetValue(os)!, parse.GetValue(id), parse.GetValue(ip),
                parse.GetValue(lan) ?? [], parse.GetValue(wireguard), parse.GetValue(tunName));
            var options = new AddPeerOptions(parse.GetValue(config), parse.GetValue(output), parse.GetValue(force), parse.GetValue(qr),
                parse.GetValue(reload) ? DaemonCall.SocketPath(parse, socket) : null);
            return RunAsync(request, options, io.Output, io.Error, ct);
        });
        return command;
    }

    public sealed record AddPeerOptions(string? HubPath, string? Output, bool Force, bool Qr, string? ReloadSocket);

    public static async Task<int> RunAsync(AddPeerRequest r, AddPeerOptions o, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        void Fail(string message) => stderr.WriteLine($"subnetra add-peer: {message}");
        string hubPath = ConfigLoader.ResolvePath(o.HubPath).Path;
        if (CliCommand.LoadConfig(o.HubPath, stderr, out byte[]? hubBytes) is not OverlayConfig hub) return CliCommand.ExitUsage;
        if (hub.Role != NodeRole.Hub)
        {
            Fail($"{hubPath} is a {OverlayConfig.RoleName(hub.Role)} config; add-peer adds spokes to a hub config");
            return CliCommand.ExitUsage;
        }
        if (hub.AdvertisedEndpoint is not PeerEndpoint advertised)
        {
            Fail($"{hubPath} has no advertised_endpoint, so the spoke would not know what to dial: add \"advertised_endpoint\": \"HOST:PORT\" (the hub's public address) to it");
            return CliCommand.ExitUsage;
        }
        if (PeerPlan.TryCreate(hub, advertised, r, out string error) is not PeerPlan plan)
        {
            Fail(error);
            return CliCommand.ExitUsage;
        }

        // The bytes that passed the check above, not a second read that could see another file.
        ReadOnlySpan<byte> hubText = hubBytes;
        if (hubText.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) hubText = hubText[3..];   // as File.ReadAllText did
        string original = System.Text.Encoding.UTF8.GetString(hubText);
        if (ConfigJson.Parse(original, out error) is not JsonObject tree || tree["peers"] is not JsonArray peers)
        {
            Fail($"{hubPath}: {error}");
            return CliCommand.ExitUsage;
        }
        peers.Add((JsonNode)plan.HubEntry); // the non-generic Add: Add<T> is not trim-safe
        string newHub = ConfigJson.Serialize(tree);
        var check = ConfigLoader.LoadJson(newHub, hubPath, Path.GetDirectoryName(hubPath), Overlay.Os.Node.RegularFileReader.Instance);
        if (!check.Success)
        {
            Fail($"the hub config with peer {plan.Id} added would not pass --check; nothing was written:");
            foreach (var e in check.Errors) stderr.WriteLine(e.ToString());
            return CliCommand.ExitUsage;
        }

        string spokeText;
        if (r.WireGuard)
        {
            if (WireGuardSpokeText(check.Config!, plan.Id, advertised.ToString(), out spokeText, out error) is false)
            {
                Fail($"{error}; nothing was written");
                return CliCommand.ExitUsage;
            }
        }
        else
        {
            spokeText = ConfigJson.Serialize(plan.SpokeConfig);
            var spokeCheck = ConfigLoader.LoadJson(spokeText, "(new spoke config)", null, Overlay.Os.Node.RegularFileReader.Instance);
            if (!spokeCheck.Success)
            {
                Fail("internal error: the generated spoke config does not pass --check; nothing was written:");
                foreach (var e in spokeCheck.Errors) stderr.WriteLine(e.ToString());
                return CliCommand.ExitFailure;
            }
        }
        string stem = r.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? r.Name : $"peer-{plan.Id}";
        string spokePath = Path.GetFullPath(o.Output ?? stem + (r.WireGuard ? ".conf" : ".json"));
        if (spokePath == hubPath)
        {
            Fail($"--output {spokePath} is the hub config itself");
            return CliCommand.ExitUsage;
        }
        if (SecretFile.CheckTarget(spokePath, o.Force) is string why)
        {
            Fail($"{why}; nothing was written");
            return CliCommand.ExitUsage;
        }

        bool hadComments = ConfigJson.HasComments(original);
        UnixFileMode hubMode = File.GetUnixFileMode(hubPath);
        // The spoke file goes to a temp name beside its target first (0600, O_EXCL) and is renamed
        // into place only once the hub config is written: a failed hub write then removes the temp
        // alone, never a file --force was about to replace.
        if (SecretFile.WriteTemp(spokePath, spokeText) is not string spokeTemp)
        {
            Fail($"cannot write a temp file beside {spokePath}; the hub config was not changed");
            return CliCommand.ExitFailure;
        }
        try
        {
            if (hadComments && SecretFile.Write(hubPath + ".bak", original, overwrite: true, hubMode) is string bakError)
            {
                SecretFile.DeleteQuietly(spokeTemp);
                Fail($"cannot save the commented hub config as {hubPath}.bak ({bakError}), so it was not rewritten: nothing changed");
                return CliCommand.ExitFailure;
            }
            SecretFile.ReplaceAtomically(hubPath, System.Text.Encoding.UTF8.GetBytes(newHub), hubMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SecretFile.DeleteQuietly(spokeTemp);
            Fail($"cannot update {hubPath}: {e.Message}; the spoke file was not written and nothing changed");
            return CliCommand.ExitFailure;
        }
        if (SecretFile.CommitTemp(spokeTemp, spokePath, o.Force) is string commitError)
        {
            Fail($"{hubPath} now has peer {plan.Id}, but {commitError}; the spoke config is left in {spokeTemp}: rename it to {spokePath}");
            return CliCommand.ExitFailure;
        }

        PrintSummary(hub, plan, r, hubPath, spokePath, hadComments, hubMode, o, stdout);
        if (r.WireGuard && o.Qr) stdout.Write(QrText.Render(spokeText));
        if (o.ReloadSocket is null) return CliCommand.ExitOk;
        stdout.WriteLine($"reloading the hub daemon (socket {o.ReloadSocket}):");
        int exit = await DaemonCall.RunAsync(o.ReloadSocket, new ControlRequest { Command = ControlCommands.Reload }, stdout, stderr,
            (reply, w) => PolicyCommand.RenderReload(reply.Response, w), PolicyCommand.ReloadTimeout, ct).ConfigureAwait(false);
        if (exit != CliCommand.ExitOk)
            stderr.WriteLine($"subnetra add-peer: the files are written, but the daemon did not reload; run 'subnetra reload' on the hub when it runs");
        return exit;
    }

    /// <summary>The wg-quick text for <paramref name="peerId"/> of <paramref name="hub"/>, or false with the export's error.</summary>
    public static bool WireGuardSpokeText(OverlayConfig hub, int peerId, string endpoint, out string text, out string error)
    {
        text = "";
        if (!WgQuickExport.TryExport(hub, peerId, endpoint, out var exported, out error)) return false;
        text = exported.Text;
        return true;
    }

    private static void PrintSummary(OverlayConfig hub, PeerPlan plan, AddPeerRequest r, string hubPath, string spokePath,
        bool hadComments, UnixFileMode hubMode, AddPeerOptions o, TextWriter w)
    {
        string lans = plan.Lans.Count > 0 ? $", LAN {string.Join(", ", plan.Lans)}" : "";
        w.WriteLine($"added peer {plan.Id} ({plan.Name}) at {plan.Address}{lans} to {hubPath} (rewritten atomically, mode {Octal(hubMode)} kept), with a new link PSK");
        if (hadComments)
            w.WriteLine($"note: {hubPath} had comments, which a rewritten file cannot keep; the previous file is saved as {hubPath}.bak");
        string kind = r.WireGuard ? "WireGuard client config (wg-quick format, private key included)" : $"{r.Os} spoke config";
        w.WriteLine($"wrote {spokePath} (mode 0600): {kind}; it holds the link's PSK, so copy it to the spoke over a private channel");
        foreach (var l in plan.LansOutsideSubnet)
            w.WriteLine($"note: spokes added before this one do not route {l} yet: add it to their remote_routes to reach it");
        w.WriteLine("next steps:");
        if (o.ReloadSocket is null)
            w.WriteLine($"  on the hub:   subnetra reload   (or SIGHUP; add-peer --reload does it for you)");
        if (r.WireGuard)
            w.WriteLine($"  on the client: import {Path.GetFileName(spokePath)} in the WireGuard app (add-peer --qr, or 'subnetra export --config {hubPath} --peer {plan.Id} --qr')");
        else if (r.Os == "macos")
        {
            w.WriteLine($"  on the spoke: install it as /usr/local/etc/subnetra/config.json, then 'subnetrad --check --config /usr/local/etc/subnetra/config.json'");
            w.WriteLine("                and load the launchd job (runbooks/macos-spoke-acceptance.md)");
        }
        else
        {
            w.WriteLine($"  on the spoke: install it as /etc/subnetra/config.json (mode 0600), then 'subnetrad --check --config /etc/subnetra/config.json' and 'systemctl restart subnetrad'");
            if (plan.Lans.Count > 0) w.WriteLine("                (it routes a LAN: subnetrad turns IP forwarding on at start, as its network plan's last step)");
        }
        w.WriteLine($"  check the set: subnetra check {hubPath} {spokePath}");
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
