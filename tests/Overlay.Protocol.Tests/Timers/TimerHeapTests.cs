using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Tests.Timers;

public class TimerHeapTests
{
    [Fact]
    public void Pop_ShuffledDeadlines_ComeOutInDeadlineOrder()
    {
        var heap = new TimerHeap(capacity: 2);
        var rng = new Random(7);
        long[] deadlines = Enumerable.Range(0, 1000).Select(_ => rng.NextInt64(0, 1_000_000)).ToArray();
        for (int i = 0; i < deadlines.Length; i++) heap.Push(new TimerEntry(deadlines[i], i, 1));

        var popped = new List<long>();
        while (heap.Count > 0) popped.Add(heap.Pop().Deadline);

        Assert.Equal(deadlines.Order(), popped);
    }

    [Fact]
    public void Pop_EqualDeadlines_LowerSlotFirst()
    {
        var heap = new TimerHeap();
        heap.Push(new TimerEntry(5, 3, 1));
        heap.Push(new TimerEntry(5, 1, 1));
        heap.Push(new TimerEntry(4, 9, 1));

        Assert.Equal(new TimerEntry(4, 9, 1), heap.Pop());
        Assert.Equal(new TimerEntry(5, 1, 1), heap.Pop());
        Assert.Equal(new TimerEntry(5, 3, 1), heap.Pop());
    }

    [Fact]
    public void EnsureCapacity_ThenPushUpToIt_ArrayNotReplaced()
    {
        var heap = new TimerHeap(capacity: 16);
        heap.EnsureCapacity(66);
        int capacity = heap.Capacity;

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < capacity; i++) heap.Push(new TimerEntry(1000 - i, i, 1));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.InRange(capacity, 66, 132);
        Assert.Equal(0, allocated);
        heap.EnsureCapacity(10);   // never shrinks
        Assert.Equal(capacity, heap.Capacity);
        Assert.Equal(1000 - capacity + 1, heap.Pop().Deadline);
    }

    [Fact]
    public void TryPeek_Empty_FalseAndPopThrows()
    {
        var heap = new TimerHeap();
        Assert.False(heap.TryPeek(out _));
        Assert.Throws<InvalidOperationException>(() => heap.Pop());
    }

    [Fact]
    public void Push_InterleavedWithPop_KeepsMinOnTop()
    {
        var heap = new TimerHeap();
        heap.Push(new TimerEntry(30, 0, 1));
        heap.Push(new TimerEntry(10, 1, 1));
        Assert.Equal(10, heap.Pop().Deadline);
        heap.Push(new TimerEntry(20, 2, 1));
        heap.Push(new TimerEntry(5, 3, 1));
        Assert.True(heap.TryPeek(out TimerEntry top));
        Assert.Equal(5, top.Deadline);
        Assert.Equal([5L, 20L, 30L], new[] { heap.Pop().Deadline, heap.Pop().Deadline, heap.Pop().Deadline });
    }
}
