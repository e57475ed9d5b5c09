// Overlay builds only for Linux and macOS (Directory.Build.targets); the Unix file-mode APIs are always there.
#pragma warning disable CA1416

using System.Runtime.InteropServices;
using Overlay.Os.Control;
using Overlay.Os.Node;
using Overlay.Os.Uapi;
using Overlay.Protocol.Crypto;

namespace Overlay.Daemon;

/// <summary>
/// The foreground run of subnetra-wg: open the interface and a random UDP port, write the real
/// interface name to <c>WG_TUN_NAME_FILE</c> when set (wg-quick on macOS), serve the UAPI at
/// <c>/var/run/wireguard/NAME.sock</c> and status at <see cref="ControlPaths.ForInterface"/>, print
/// the ready line, and run the loop until SIGTERM or SIGINT, until the interface is deleted (in
/// whichever network namespace it was moved to), or until the socket file is removed (the exit
/// conditions of the cross-platform spec, reference/wireguard.md §4.1). Then everything is closed,
/// keys are zeroed and it exits 0. While it runs, padding follows the interface's MTU, re-read on
/// the same watch.
/// </summary>
public static class WgModeRunner
{
    /// <summary>How often the interface (deleted? its MTU?) and the socket file are checked.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Null when <paramref name="name"/> can name the interface on this OS, else why not.</summary>
    public static string? ValidateInterfaceName(string name)
    {
        if (OperatingSystem.IsMacOS())
        {
            bool ok = name == "utun" || (name.StartsWith("utun", StringComparison.Ordinal) && name.Length > 4 && name[4..].All(char.IsAsciiDigit));
            return ok ? null : $"'{name}': on macOS the interface is utun (the kernel picks utunN) or utunN";
        }
        if (name.Length is 0 or > 15) return $"'{name}': an interface name is 1..15 characters (IFNAMSIZ)";
        foreach (char c in name)
            if (c is '/' or ':' or '%' || char.IsWhiteSpace(c) || c < 0x21 || c > 0x7e)
                return $"'{name}': an interface name cannot contain '{c}'";
        return null;
    }

    /// <summary>wireguard-go's LOG_LEVEL: verbose/debug = everything, error (and unset) = errors, silent = nothing (null).</summary>
    public static bool TryParseLogLevel(string? text, out LogLevel? level)
    {
        switch (text)
        {
            case null or "" or "error":
                level = LogLevel.Error;
                return true;
            case "verbose" or "debug":
                level = LogLevel.Debug;
                return true;
            case "silent":
                level = null;
                return true;
            default:
                level = null;
                return false;
        }
    }

    /// <summary>Writes the kernel-chosen name and a newline, mode 0400, as wg-quick's darwin script reads it.</summary>
    public static void WriteTunNameFile(string path, string interfaceName)
    {
        string? dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.Delete(path);
        using (var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var w = new StreamWriter(f))
        {
            w.Write(interfaceName + "\n");
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
    }

    /// <param name="readyFd">In a backgrounded child, where the ready line goes (<see cref="WgModeCommand.DetachIfChild"/>); else -1.</param>
    public static int Run(string name, LogLevel? level, int readyFd, TextWriter stdout, TextWriter stderr, Func<string, string?> env)
    {
        var log = new NodeLog(level is null ? TextWriter.Null : stderr, level ?? LogLevel.Error) { Program = WgModeCommand.ProgramName };
        NodeHost host;
        try
        {
            host = NodeHost.OpenPlain(name, log);
        }
        catch (Exception e) when (e is IOException or SodiumUnavailableException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
        {
            stderr.WriteLine($"{WgModeCommand.ProgramName}: {e.Message}");
            return DaemonCommand.ExitFailure;
        }
        using (host)
        {
            try
            {
                if (env("WG_TUN_NAME_FILE") is { Length: > 0 } nameFile) WriteTunNameFile(nameFile, host.TunName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"{WgModeCommand.ProgramName}: cannot write WG_TUN_NAME_FILE: {e.Message}");
                return DaemonCommand.ExitFailure;
            }
            UapiServer uapi;
            try
            {
                uapi = new WgUapi(host, m => log.Debug($"uapi: {m}")).Start();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"{WgModeCommand.ProgramName}: {e.Message}");
                return DaemonCommand.ExitFailure;
            }
            ControlServer control;
            try
            {
                // subnetra status / metrics --interface NAME (issue 15): status only; policy, save and
                // reload answer that wg(8) configures this interface.
                string controlPath = ControlPaths.ForInterface(host.TunName);
                var handler = new NodeControl(host, DaemonCommand.Version, controlPath);
                control = ControlServer.Start(controlPath, handler.HandleAsync, new ControlServerOptions { Log = m => log.Warn($"control: {m}") });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                uapi.DisposeAsync().AsTask().GetAwaiter().GetResult();
                stderr.WriteLine($"{WgModeCommand.ProgramName}: {e.Message} (control socket for subnetra status)");
                return DaemonCommand.ExitFailure;
            }
            try
            {
                return Serve(host, uapi, log, readyFd, stdout);
            }
            finally
            {
                control.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }

    private static int Serve(NodeHost host, UapiServer uapi, NodeLog log, int readyFd, TextWriter stdout)
    {
        string why = "stopped";
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; why = "SIGTERM"; host.Stop(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; why = "SIGINT"; host.Stop(); });
        // The interface is asked through the tun fd, never by name in this namespace: netns.sh moves
        // it into another namespace (the netns trick) and it must keep working there.
        using var watch = new Timer(_ =>
        {
            if (!host.TunAttached) { why = $"interface {host.TunName} was deleted"; host.Stop(); }
            else if (!File.Exists(uapi.SocketPath)) { why = $"{uapi.SocketPath} was removed"; host.Stop(); }
            else if (host.RefreshMtu() is > 0 and int mtu) log.Debug($"{host.TunName}: MTU {mtu}, padding follows it");
        }, null, WatchInterval, WatchInterval);
        int exit = DaemonCommand.ExitOk;
        try
        {
            string banner = $"{WgModeCommand.ProgramName} {DaemonCommand.Version} interface={host.TunName} udp={host.UdpPorts[0]} uapi={uapi.SocketPath} [ready]";
            stdout.WriteLine(banner);
            stdout.Flush();
            ProcessDetach.SignalReady(readyFd, banner);
            log.Info($"{host.TunName} up; configure it with wg(8)");
            try
            {
                host.Run();
            }
            catch (IOException e) when (!host.TunAttached)
            {
                // Reading a tun whose interface was deleted fails (EBADFD): that is a clean exit.
                log.Debug($"tun: {e.Message}");
                why = $"interface {host.TunName} was deleted";
            }
            catch (IOException e)
            {
                log.Error(e.Message);
                exit = DaemonCommand.ExitFailure;
            }
        }
        finally
        {
            uapi.DisposeAsync().AsTask().GetAwaiter().GetResult();
            // The loop has stopped: this thread is the only one touching the node now.
            host.WgDevice!.ZeroKeys();
        }
        log.Info($"shutting down ({why}): {DaemonRunner.Summary(host.Node)}");
        return exit;
    }
}
