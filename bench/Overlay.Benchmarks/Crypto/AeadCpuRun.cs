using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// <c>dotnet run -c Release --project bench/Overlay.Benchmarks -- aead [--rounds N]</c>: the two
/// ChaCha20-Poly1305 backends (as <see cref="AeadBenchmarks"/>: libsodium, and the BCL over OpenSSL with one
/// cached instance) per size, timed in this thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>), not wall
/// time, and interleaved round by round, so a shared VM whose load comes and goes charges every backend
/// alike and time spent descheduled is not counted. Prints the median and the minimum over the rounds of
/// ns per call. Not BenchmarkDotNet: on the loaded 2-vCPU VM its wall-clock means swung 2-5x between
/// neighbouring rows.
/// </summary>
public static partial class AeadCpuRun
{
    private static readonly int[] Sizes = [48, 64, 128, 256, 512, 768, 1024, 1152, 1280, 1344, 1408, 1420, 1500];
    private const int CallsPerSample = 2000;

    public static int Run(string[] args)
    {
        int rounds = 15;
        for (int i = 1; i + 1 < args.Length; i++)
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);

        byte[] key = new byte[32];
        RandomNumberGenerator.Fill(key);
        using var bcl = new ChaCha20Poly1305(key);
        byte[] nonce = new byte[12];
        byte[] buffer = GC.AllocateArray<byte>(1500 + 16, pinned: true);
        byte[] sealedCopy = new byte[1500 + 16];

        Console.WriteLine($"AEAD CPU time per call, {rounds} interleaved rounds x {CallsPerSample} calls; median (min) ns");
        Console.WriteLine("| size | libsodium seal | BCL seal | libsodium open | BCL open |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        var samples = new double[4][];
        foreach (int size in Sizes)
        {
            for (int b = 0; b < 4; b++) samples[b] = new double[rounds];
            ChaChaPoly.Seal(key, 9, buffer.AsSpan(0, size), default, sealedCopy.AsSpan(0, size + 16));
            for (int warm = 0; warm < 2; warm++)
                for (int b = 0; b < 4; b++) Sample(b, size, key, bcl, nonce, buffer, sealedCopy);
            for (int r = 0; r < rounds; r++)
                for (int b = 0; b < 4; b++) samples[b][r] = Sample(b, size, key, bcl, nonce, buffer, sealedCopy);
            Console.Write($"| {size} |");
            for (int b = 0; b < 4; b++)
            {
                Array.Sort(samples[b]);
                Console.Write($" {samples[b][rounds / 2]:0} ({samples[b][0]:0}) |");
            }
            Console.WriteLine();
        }
        return 0;
    }

    /// <summary>ns of thread CPU time per call for one backend: 0 sodium seal, 1 BCL seal, 2 sodium open, 3 BCL open.</summary>
    private static double Sample(int backend, int size, byte[] key, ChaCha20Poly1305 bcl, byte[] nonce, byte[] buffer, byte[] sealedCopy)
    {
        Span<byte> b = buffer.AsSpan(0, size + 16);
        long start = ThreadCpuNs();
        for (int i = 0; i < CallsPerSample; i++)
        {
            switch (backend)
            {
                case 0:
                    ChaChaPoly.Seal(key, 9, b[..size], default, b);
                    break;
                case 1:
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    bcl.Encrypt(nonce, b[..size], b[..size], b.Slice(size, 16));
                    break;
                case 2:
                    sealedCopy.AsSpan(0, size + 16).CopyTo(b);
                    ChaChaPoly.Open(key, 9, b, default, b[..size]);
                    break;
                default:
                    sealedCopy.AsSpan(0, size + 16).CopyTo(b);
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    bcl.Decrypt(nonce, b[..size], b.Slice(size, 16), b[..size]);
                    break;
            }
        }
        return (ThreadCpuNs() - start) / (double)CallsPerSample;
    }

    private static unsafe long ThreadCpuNs()
    {
        TimeSpec t;
        clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, &t);
        return t.Seconds * 1_000_000_000L + t.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static unsafe partial int clock_gettime(int clock, TimeSpec* time);
}
