using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Overlay.Protocol.Crypto;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// The three ChaCha20-Poly1305 backends side by side, in place, per packet size: libsodium 1.0.18 through
/// P/Invoke (AVX2), the BCL's <see cref="ChaCha20Poly1305"/> over OpenSSL 3 (AVX-512 here), and OpenSSL's EVP
/// API called directly (<see cref="EvpChaChaPoly"/>), one cached instance per key as a keypair holds it. The
/// crossover decides which backend the data path uses (dotnet-feasibility.md §2 measured about 770 B with a
/// fresh context per call). Wall clock; on the shared VM prefer the thread-CPU run (<see cref="AeadCpuRun"/>).
/// </summary>
[MemoryDiagnoser]
public class AeadBenchmarks
{
    private readonly byte[] _key = new byte[32];
    private readonly byte[] _nonce = new byte[12];
    private byte[] _buffer = [];
    private byte[] _sealed = [];
    private ChaCha20Poly1305 _bcl = null!;
    private EvpChaChaPoly? _evp;

    [Params(64, 128, 256, 512, 768, 1024, 1280, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_key);
        _bcl = new ChaCha20Poly1305(_key);
        _evp = EvpChaChaPoly.IsAvailable ? new EvpChaChaPoly(_key) : null;
        _buffer = GC.AllocateArray<byte>(Size + 16, pinned: true);
        _sealed = new byte[Size + 16];
        ChaChaPoly.Seal(_key, 9, _buffer.AsSpan(0, Size), default, _sealed);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bcl.Dispose();
        _evp?.Dispose();
    }

    [Benchmark]
    public void SealSodium() => ChaChaPoly.Seal(_key, 9, _buffer.AsSpan(0, Size), default, _buffer);

    [Benchmark]
    public void SealBcl()
    {
        Span<byte> b = _buffer;
        ChaChaPoly.WriteCounterNonce(9, _nonce);
        _bcl.Encrypt(_nonce, b[..Size], b[..Size], b.Slice(Size, 16));
    }

    [Benchmark]
    public void SealEvp()
    {
        ChaChaPoly.WriteCounterNonce(9, _nonce);
        _evp?.Seal(_nonce, _buffer.AsSpan(0, Size), default, _buffer);
    }

    [Benchmark]
    public bool OpenSodium()
    {
        _sealed.CopyTo(_buffer, 0);
        return ChaChaPoly.Open(_key, 9, _buffer, default, _buffer.AsSpan(0, Size));
    }

    [Benchmark]
    public void OpenBcl()
    {
        _sealed.CopyTo(_buffer, 0);
        Span<byte> b = _buffer;
        ChaChaPoly.WriteCounterNonce(9, _nonce);
        _bcl.Decrypt(_nonce, b[..Size], b.Slice(Size, 16), b[..Size]);
    }

    [Benchmark]
    public bool OpenEvp()
    {
        _sealed.CopyTo(_buffer, 0);
        ChaChaPoly.WriteCounterNonce(9, _nonce);
        return _evp is not null && _evp.Open(_nonce, _buffer, default, _buffer.AsSpan(0, Size));
    }
}
