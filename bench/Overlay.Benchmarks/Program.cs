using BenchmarkDotNet.Running;

// `fuzz` runs the long datagram fuzz run (Node/FuzzLongRun.cs); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "fuzz") return Overlay.Benchmarks.Node.FuzzLongRun.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
