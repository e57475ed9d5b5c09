// Composition root for subnetrad: the command line lives in DaemonCommand (tests run it
// in-process); the run mode is DaemonRunner, which binds the node to the OS. Started as
// subnetra-wg (the launcher passes --subnetra-wg; a binary of that name dispatches on it), it is
// the wireguard-go-compatible userspace WireGuard of WgModeCommand.
// A backgrounded child detaches before anything touches Console (WgModeCommand.DetachIfChild).
if (args.Length > 0 && args[0] == Overlay.Daemon.WgModeCommand.ModeArgument)
{
    int ready = Overlay.Daemon.WgModeCommand.DetachIfChild(Environment.GetEnvironmentVariable);
    return Overlay.Daemon.WgModeCommand.Run(args[1..], new Overlay.Daemon.DeferredConsoleWriter(false), new Overlay.Daemon.DeferredConsoleWriter(true), Environment.GetEnvironmentVariable, ready);
}
if (Overlay.Daemon.WgModeCommand.IsInvokedAs(Environment.GetCommandLineArgs()[0], Environment.ProcessPath))
{
    int ready = Overlay.Daemon.WgModeCommand.DetachIfChild(Environment.GetEnvironmentVariable);
    return Overlay.Daemon.WgModeCommand.Run(args, new Overlay.Daemon.DeferredConsoleWriter(false), new Overlay.Daemon.DeferredConsoleWriter(true), Environment.GetEnvironmentVariable, ready);
}
return Overlay.Daemon.DaemonCommand.Run(args, Console.Out, Console.Error,
    (config, level, stdout, stderr) => Overlay.Daemon.DaemonRunner.Run(config, stdout, stderr, level));
