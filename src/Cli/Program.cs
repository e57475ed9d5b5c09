// Composition root for subnetra: the command line lives in CliCommand so tests run it in-process.
return Overlay.Cli.CliCommand.Run(args, Console.In, Console.Out, Console.Error);
