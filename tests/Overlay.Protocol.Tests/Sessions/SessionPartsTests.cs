using Overlay.Protocol.Sessions;

namespace Overlay.Protocol.Tests.Sessions;

public class KeypairSlotsTests
{
    private static Keypair Kp(bool initiator, uint index) => new(new byte[32], new byte[32], initiator, index, 0, 0, null);

    [Fact]
    public void Install_Initiator_BecomesCurrentOldCurrentPrevious()
    {
        var retired = new List<Keypair>();
        var slots = new KeypairSlots();
        Keypair a = Kp(true, 1), b = Kp(true, 2), c = Kp(true, 3);
        slots.Install(a, retired.Add);
        slots.Install(b, retired.Add);
        Assert.Same(b, slots.Current);
        Assert.Same(a, slots.Previous);
        slots.Install(c, retired.Add);
        Assert.Same(c, slots.Current);
        Assert.Same(b, slots.Previous);
        Assert.Equal([a], retired);
    }

    [Fact]
    public void Install_Responder_ParkedInNextUntilReceived()
    {
        var retired = new List<Keypair>();
        var slots = new KeypairSlots();
        Keypair old = Kp(true, 1), prev = Kp(true, 0), fresh = Kp(false, 2);
        slots.Install(prev, retired.Add);
        slots.Install(old, retired.Add);
        slots.Install(fresh, retired.Add);
        Assert.Same(old, slots.Current);       // must not send on next
        Assert.Same(fresh, slots.Next);
        Assert.Null(slots.Previous);            // previous dropped (wireguard-go BeginSymmetricSession)
        Assert.Contains(prev, retired);

        Assert.False(slots.ReceivedWith(old, retired.Add));
        Assert.True(slots.ReceivedWith(fresh, retired.Add));
        Assert.Same(fresh, slots.Current);
        Assert.Same(old, slots.Previous);
        Assert.Null(slots.Next);
    }

    [Fact]
    public void Install_InitiatorWhileNextPending_NextBecomesPreviousCurrentRetired()
    {
        var retired = new List<Keypair>();
        var slots = new KeypairSlots();
        Keypair current = Kp(true, 1), next = Kp(false, 2), mine = Kp(true, 3);
        slots.Install(current, retired.Add);
        slots.Install(next, retired.Add);
        slots.Install(mine, retired.Add);
        Assert.Same(mine, slots.Current);
        Assert.Same(next, slots.Previous);
        Assert.Null(slots.Next);
        Assert.Contains(current, retired);
    }
}

public class StagedQueueTests
{
    [Fact]
    public void Enqueue_BeyondCapacity_DropsOldestAndReusesBuffers()
    {
        var q = new StagedQueue(4);
        for (int i = 0; i < 4; i++) Assert.True(q.Enqueue(new byte[] { (byte)i, 0, 0 }, 1));
        Assert.False(q.Enqueue(new byte[] { 4, 0, 0 }, 1));   // 0 dropped
        Assert.Equal(4, q.Count);
        Span<byte> first = q.PeekFrame(out int len);
        Assert.Equal(1, first[0]);
        Assert.Equal(1, len);
        Assert.Equal(3, first.Length);
        q.Dequeue();
        Assert.Equal(2, q.PeekFrame(out _)[0]);
        Assert.Equal(3, q.Clear());
        Assert.Equal(0, q.Count);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) { q.Enqueue(ReadOnlySpan<byte>.Empty, 0); q.Dequeue(); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

public class IndexTableTests
{
    [Fact]
    public void NewIndex_Collision_RedrawsUntilFree()
    {
        uint[] draws = [7, 7, 0, 9];
        int n = 0;
        var table = new IndexTable<object>(() => draws[n++]);
        var owner = new object();
        Assert.Equal(7u, table.NewIndex(owner));
        Assert.Equal(9u, table.NewIndex(owner));   // 7 taken, 0 reserved
        Assert.True(table.TryGet(9, out var e));
        Assert.Same(owner, e.Peer);
        table.Remove(9);
        Assert.False(table.TryGet(9, out _));
        Assert.Equal(1, table.Count);
    }
}
