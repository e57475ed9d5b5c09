using BenchmarkDotNet.Attributes;
using Overlay.Protocol.Messages;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// Type-4 transport seal and open in place (TransportMessages: padding, header, ChaCha20-Poly1305)
/// at a small (64 B) and a full-MTU (1420 B) payload. Open first restores the sealed bytes (a copy of
/// at most 1.5 KB, a few tens of ns) because opening in place consumes its input.
/// </summary>
[MemoryDiagnoser]
public class TransportBenchmarks
{
    private const int Mtu = 1420;
    private readonly byte[] _key = new byte[32];
    private byte[] _frame = [];
    private byte[] _sealed = [];
    private byte[] _work = [];
    private int _sealedLength;

    [Params(64, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < _key.Length; i++) _key[i] = (byte)(i * 13 + 1);
        _frame = GC.AllocateArray<byte>(16 + Mtu + 32, pinned: true);
        _work = GC.AllocateArray<byte>(16 + Mtu + 32, pinned: true);
        for (int i = 0; i < Size; i++) _frame[16 + i] = (byte)i;
        _sealedLength = TransportMessages.Seal(_frame, Size, Mtu, _key, 0x01020304, 7);
        _sealed = _frame.AsSpan(0, _sealedLength).ToArray();
        if (!Open()) throw new InvalidOperationException("open of a freshly sealed message failed");
    }

    [Benchmark]
    public int Seal() => TransportMessages.Seal(_frame, Size, Mtu, _key, 0x01020304, 7);

    [Benchmark]
    public bool Open()
    {
        _sealed.CopyTo(_work, 0);
        return TransportMessages.Open(_work.AsSpan(0, _sealedLength), _key, 7, out _);
    }
}
