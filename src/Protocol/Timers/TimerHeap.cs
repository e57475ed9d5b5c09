namespace Overlay.Protocol.Timers;

/// <summary>One armed deadline: the peer's engine slot and the generation the slot had when it was armed.</summary>
public readonly record struct TimerEntry(long Deadline, int Slot, uint Generation);

/// <summary>
/// A binary min-heap of <see cref="TimerEntry"/> ordered by deadline (then slot, so equal deadlines
/// pop in a fixed order). The engine deletes lazily: disarming or removing a peer leaves its entry in
/// place and the owner recognises it as stale when it reaches the top (its generation no longer
/// matches, or the peer's live deadline moved). Push and Pop are O(log n), Peek O(1). Push grows
/// the array when full; an owner that must not allocate on its hot path sizes it up front
/// (<see cref="EnsureCapacity"/>) and keeps <see cref="Count"/> within <see cref="Capacity"/>.
/// </summary>
public sealed class TimerHeap
{
    private TimerEntry[] _items;
    private int _count;

    public TimerHeap(int capacity = 16) => _items = new TimerEntry[Math.Max(1, capacity)];

    public int Count => _count;

    /// <summary>Entries the array holds before <see cref="Push"/> has to grow it.</summary>
    public int Capacity => _items.Length;

    /// <summary>Grows the array (at least doubling) so that <paramref name="capacity"/> entries fit; never shrinks it.</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity > _items.Length) Array.Resize(ref _items, Math.Max(capacity, 2 * _items.Length));
    }

    public void Clear() => _count = 0;

    public void Push(TimerEntry entry)
    {
        if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        int i = _count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Less(entry, _items[parent])) break;
            _items[i] = _items[parent];
            i = parent;
        }
        _items[i] = entry;
    }

    public bool TryPeek(out TimerEntry entry)
    {
        if (_count == 0)
        {
            entry = default;
            return false;
        }
        entry = _items[0];
        return true;
    }

    /// <summary>Removes the earliest entry; the heap must not be empty.</summary>
    public TimerEntry Pop()
    {
        if (_count == 0) throw new InvalidOperationException("the timer heap is empty");
        TimerEntry top = _items[0];
        TimerEntry last = _items[--_count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && Less(_items[child + 1], _items[child])) child++;
            if (!Less(_items[child], last)) break;
            _items[i] = _items[child];
            i = child;
        }
        if (_count > 0) _items[i] = last;
        return top;
    }

    private static bool Less(in TimerEntry a, in TimerEntry b) =>
        a.Deadline < b.Deadline || (a.Deadline == b.Deadline && a.Slot < b.Slot);
}
