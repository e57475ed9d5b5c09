using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Overlay.Protocol.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// <c>dotnet run -c Release --project bench/Overlay.Benchmarks -- aead [--rounds N] [--variants]</c>: the
/// ChaCha20-Poly1305 backends per size — libsodium, the BCL over OpenSSL with one cached instance (as
/// <see cref="AeadBenchmarks"/>), and our direct EVP binding (<see cref="EvpChaChaPoly"/>, one context per
/// key; <c>--variants</c> adds its EVP_CIPHER_CTX_ctrl tag variant) — timed in this thread's CPU time
/// (<c>CLOCK_THREAD_CPUTIME_ID</c>), not wall time, and interleaved round by round, so a shared VM whose
/// load comes and goes charges every backend alike and time spent descheduled is not counted. Prints the
/// median and the minimum over the rounds of ns per call. Not BenchmarkDotNet: on the loaded 2-vCPU VM its
/// wall-clock means swung 2-5x between neighbouring rows.
/// </summary>
public static partial class AeadCpuRun
{
    private static readonly int[] Sizes = [48, 64, 80, 96, 112, 128, 256, 512, 768, 1024, 1152, 1280, 1344, 1408, 1420, 1500];
    private const int CallsPerSample = 2000;

    private enum Backend
    {
        SodiumSeal,
        BclSeal,
        EvpSeal,
        EvpCtrlSeal,
        SodiumOpen,
        BclOpen,
        EvpOpen,
        EvpCtrlOpen,
    }

    public static int Run(string[] args)
    {
        int rounds = 15;
        bool variants = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--rounds" && i + 1 < args.Length) rounds = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            if (args[i] == "--variants") variants = true;
        }

        byte[] key = new byte[32];
        RandomNumberGenerator.Fill(key);
        using var bcl = new ChaCha20Poly1305(key);
        bool evpHere = EvpChaChaPoly.IsAvailable;
        using EvpChaChaPoly? evp = evpHere ? new EvpChaChaPoly(key) : null;
        using EvpChaChaPoly? evpCtrl = evpHere ? new EvpChaChaPoly(key, EvpChaChaPoly.TagAccess.Ctrl) : null;
        var state = new State(key, bcl, evp, evpCtrl, new byte[12], GC.AllocateArray<byte>(1500 + 16, pinned: true), new byte[1500 + 16]);

        var backends = new List<Backend> { Backend.SodiumSeal, Backend.BclSeal };
        if (evpHere) backends.Add(Backend.EvpSeal);
        if (evpHere && variants) backends.Add(Backend.EvpCtrlSeal);
        backends.Add(Backend.SodiumOpen);
        backends.Add(Backend.BclOpen);
        if (evpHere) backends.Add(Backend.EvpOpen);
        if (evpHere && variants) backends.Add(Backend.EvpCtrlOpen);

        Console.WriteLine($"AEAD CPU time per call, {rounds} interleaved rounds x {CallsPerSample} calls; median (min) ns"
            + (evpHere ? "" : "; EVP direct not available here"));
        Console.Write("| size |");
        foreach (Backend b in backends) Console.Write($" {Title(b)} |");
        Console.WriteLine();
        Console.Write("|---:|");
        foreach (Backend _ in backends) Console.Write("---:|");
        Console.WriteLine();

        var samples = new double[backends.Count][];
        foreach (int size in Sizes)
        {
            for (int b = 0; b < backends.Count; b++) samples[b] = new double[rounds];
            ChaChaPoly.Seal(key, 9, state.Buffer.AsSpan(0, size), default, state.SealedCopy.AsSpan(0, size + 16));
            for (int warm = 0; warm < 2; warm++)
                for (int b = 0; b < backends.Count; b++) Sample(backends[b], size, state);
            for (int r = 0; r < rounds; r++)
                for (int b = 0; b < backends.Count; b++) samples[b][r] = Sample(backends[b], size, state);
            Console.Write($"| {size} |");
            for (int b = 0; b < backends.Count; b++)
            {
                Array.Sort(samples[b]);
                Console.Write($" {samples[b][rounds / 2]:0} ({samples[b][0]:0}) |");
            }
            Console.WriteLine();
        }
        return 0;
    }

    private static string Title(Backend b) => b switch
    {
        Backend.SodiumSeal => "libsodium seal",
        Backend.BclSeal => "BCL seal",
        Backend.EvpSeal => "EVP seal",
        Backend.EvpCtrlSeal => "EVP ctrl seal",
        Backend.SodiumOpen => "libsodium open",
        Backend.BclOpen => "BCL open",
        Backend.EvpOpen => "EVP open",
        _ => "EVP ctrl open",
    };

    private sealed record State(byte[] Key, ChaCha20Poly1305 Bcl, EvpChaChaPoly? Evp, EvpChaChaPoly? EvpCtrl, byte[] Nonce, byte[] Buffer, byte[] SealedCopy);

    /// <summary>ns of thread CPU time per call for one backend, in place; opens start from a fresh copy of a sealed message.</summary>
    private static double Sample(Backend backend, int size, State s)
    {
        Span<byte> b = s.Buffer.AsSpan(0, size + 16);
        byte[] nonce = s.Nonce;
        long start = ThreadCpuNs();
        for (int i = 0; i < CallsPerSample; i++)
        {
            switch (backend)
            {
                case Backend.SodiumSeal:
                    ChaChaPoly.Seal(s.Key, 9, b[..size], default, b);
                    break;
                case Backend.BclSeal:
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    s.Bcl.Encrypt(nonce, b[..size], b[..size], b.Slice(size, 16));
                    break;
                case Backend.EvpSeal:
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    s.Evp!.Seal(nonce, b[..size], default, b);
                    break;
                case Backend.EvpCtrlSeal:
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    s.EvpCtrl!.Seal(nonce, b[..size], default, b);
                    break;
                case Backend.SodiumOpen:
                    s.SealedCopy.AsSpan(0, size + 16).CopyTo(b);
                    ChaChaPoly.Open(s.Key, 9, b, default, b[..size]);
                    break;
                case Backend.BclOpen:
                    s.SealedCopy.AsSpan(0, size + 16).CopyTo(b);
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    s.Bcl.Decrypt(nonce, b[..size], b.Slice(size, 16), b[..size]);
                    break;
                case Backend.EvpOpen:
                    s.SealedCopy.AsSpan(0, size + 16).CopyTo(b);
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    if (!s.Evp!.Open(nonce, b, default, b[..size])) throw new InvalidOperationException("EVP open failed");
                    break;
                default:
                    s.SealedCopy.AsSpan(0, size + 16).CopyTo(b);
                    ChaChaPoly.WriteCounterNonce(9, nonce);
                    if (!s.EvpCtrl!.Open(nonce, b, default, b[..size])) throw new InvalidOperationException("EVP open failed");
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
