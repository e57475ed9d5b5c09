using BenchmarkDotNet.Attributes;
using Overlay.Protocol.Sessions;

namespace Overlay.Benchmarks.Sessions;

/// <summary>
/// The anti-replay window (8128 counters): pre-check plus mark per packet, in order and out of order
/// (counters swapped in pairs and shuffled within 64-counter blocks, as a multi-queue sender produces).
/// 1024 counters per invocation.
/// </summary>
[MemoryDiagnoser]
public class ReplayWindowBenchmarks
{
    private const int Batch = 1024;
    private const ulong Limit = ulong.MaxValue - (1UL << 13);
    private readonly ReplayWindow _window = new();
    private readonly ulong[] _outOfOrder = new ulong[Batch];
    private ulong _base;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        for (int i = 0; i < Batch; i++) _outOfOrder[i] = (ulong)i;
        for (int block = 0; block < Batch; block += 64)
            random.Shuffle(_outOfOrder.AsSpan(block, 64));
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int InOrder()
    {
        int accepted = 0;
        ulong b = _base;
        for (ulong i = 0; i < Batch; i++)
            if (_window.CanAccept(b + i, Limit) && _window.Mark(b + i, Limit)) accepted++;
        _base = b + Batch;
        return accepted;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int OutOfOrder()
    {
        int accepted = 0;
        ulong b = _base;
        ulong[] order = _outOfOrder;
        for (int i = 0; i < order.Length; i++)
        {
            ulong c = b + order[i];
            if (_window.CanAccept(c, Limit) && _window.Mark(c, Limit)) accepted++;
        }
        _base = b + Batch;
        return accepted;
    }
}
