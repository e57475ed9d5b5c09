// Composition root for subnetrad: the command line lives in DaemonCommand (tests run it
// in-process); the run mode is DaemonRunner, which binds the node to the OS.
return Overlay.Daemon.DaemonCommand.Run(args, Console.Out, Console.Error,
    (config, level, stdout, stderr) => Overlay.Daemon.DaemonRunner.Run(config, stdout, stderr, level));
