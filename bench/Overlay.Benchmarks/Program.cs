using BenchmarkDotNet.Running;

// `fuzz` runs the long datagram fuzz run (Node/FuzzLongRun.cs); anything but `fuzz` and `aead` goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "fuzz") return Overlay.Benchmarks.Node.FuzzLongRun.Run(args);
// `aead` times the AEAD backends in thread CPU time, interleaved (Crypto/AeadCpuRun.cs).
if (args.Length > 0 && args[0] == "aead") return Overlay.Benchmarks.Crypto.AeadCpuRun.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
