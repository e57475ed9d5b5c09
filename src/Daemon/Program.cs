// Composition root for subnetrad: the command line lives in DaemonCommand so tests run it in-process.
return Overlay.Daemon.DaemonCommand.Run(args, Console.Out, Console.Error);
