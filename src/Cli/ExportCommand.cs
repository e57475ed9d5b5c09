using System.CommandLine;
using Overlay.Protocol.Config;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra export --config F --peer ID [--endpoint HOST:PORT] [--qr] [--output FILE [--force]]</c>:
/// the wg-quick config a stock WireGuard peer needs (<see cref="WgQuickExport"/>). It holds a
/// private key, so <c>--output</c> writes it with mode 0600 without following a symlink
/// (<see cref="SecretFile"/>) and, without --output, stderr warns that the text is secret —
/// a shell redirect under umask 022 would leave it world-readable. <c>--qr</c> prints it as a
/// QR code for a phone instead of as text.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var config = CliCommand.ConfigOption();
        var peer = CliOptions.Int("--peer", "-p", 1, 65535, "a peer id", "ID");
        peer.Description = "Id of the peer to export: a spoke id with a hub config, or the hub's id with a spoke config.";
        peer.Required = true;
        var endpoint = new Option<string>("--endpoint", "-e")
        {
            Description = "The hub's public HOST:PORT to write as Endpoint (default: the hub config's advertised_endpoint, else a HUB_HOST placeholder you must replace).",
            HelpName = "HOST:PORT",
        };
        var qr = new Option<bool>("--qr") { Description = "Print the config as a QR code (for the WireGuard phone apps) instead of as text" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the config to FILE with mode 0600 (never through a symlink) instead of stdout", HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --output file" };
        var export = new Command("export", "Print a wg-quick config (derived keys included) that lets a stock WireGuard peer take the place of one end of a link. It contains private keys: prefer --output FILE (mode 0600) or --qr.")
        {
            config, peer, endpoint, qr, output, force,
        };
        export.SetAction(pr =>
        {
            var io = pr.InvocationConfiguration;
            return Run(pr.GetValue(config), pr.GetValue(peer), pr.GetValue(endpoint), pr.GetValue(qr), pr.GetValue(output), pr.GetValue(force), io.Output, io.Error);
        });
        return export;
    }

    public static int Run(string? configPath, int peerId, string? endpoint, bool qr, string? output, bool force, TextWriter stdout, TextWriter stderr)
    {
        if (CliCommand.LoadConfig(configPath, stderr) is not OverlayConfig config) return CliCommand.ExitUsage;
        endpoint ??= config.Role == NodeRole.Hub ? config.AdvertisedEndpoint?.ToString() : null;
        if (!WgQuickExport.TryExport(config, peerId, endpoint, out var result, out string error))
        {
            stderr.WriteLine($"subnetra export: {error}");
            return CliCommand.ExitUsage;
        }
        bool secret = result.Text.Contains("\nPrivateKey = ", StringComparison.Ordinal);
        if (output is not null)
        {
            if (SecretFile.Write(output, result.Text, force) is string why)
            {
                stderr.WriteLine($"subnetra export: {why}");
                return CliCommand.ExitUsage;
            }
            stderr.WriteLine($"wrote {Path.GetFullPath(output)} (mode 0600)");
        }
        if (qr) stdout.Write(QrText.Render(result.Text));
        else if (output is null) stdout.Write(result.Text);
        foreach (string note in result.Notes) stderr.WriteLine($"note: {note}");
        if (secret && output is null)
            stderr.WriteLine(qr
                ? "warning: the QR code holds a private key: scan it in private and do not keep screenshots"
                : "warning: this text holds a private key: use --output FILE (mode 0600) instead of redirecting stdout, which your umask may leave readable by others");
        return CliCommand.ExitOk;
    }
}
