using Overlay.Os.Udp;

namespace Overlay.Os.Tests.Udp;

public sealed class DatagramBatchTests
{
    [Fact]
    public void Constructor_CutsSlabIntoFramesWithHeadroom()
    {
        using var batch = new DatagramBatch(4, 100, 16);
        Assert.Equal(4, batch.Capacity);
        Assert.Equal(100, batch.FrameSize);
        Assert.Equal(16, batch.Headroom);
        Assert.Equal(84, batch.MaxPayload);
        Assert.Equal(0, batch.Count);
        Assert.Equal(100, batch.Frame(3).Length);
    }

    [Fact]
    public void Payload_IsFrameAfterHeadroom_OfLength()
    {
        using var batch = new DatagramBatch(2, 64, 16);
        batch.Frame(1).Fill(0);
        batch.Length(1) = 5;
        batch.Payload(1).Fill(7);
        Span<byte> frame = batch.Frame(1);
        Assert.Equal(0, frame[15]);
        Assert.Equal(7, frame[16]);
        Assert.Equal(7, frame[20]);
        Assert.Equal(0, frame[21]);
    }

    [Fact]
    public void Frames_DoNotOverlap()
    {
        using var batch = new DatagramBatch(3, 32, 0);
        for (int i = 0; i < 3; i++) batch.Frame(i).Fill((byte)(i + 1));
        for (int i = 0; i < 3; i++) Assert.All(batch.Frame(i).ToArray(), b => Assert.Equal(i + 1, b));
    }

    [Fact]
    public void Frame_IndexOutOfRange_Throws()
    {
        using var batch = new DatagramBatch(2, 32, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Frame(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Frame(-1));
    }

    [Fact]
    public void Payload_LengthBeyondFrame_Throws()
    {
        using var batch = new DatagramBatch(1, 32, 8);
        batch.Length(0) = 25;
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Payload(0));
    }

    [Fact]
    public void Count_AboveCapacity_Throws()
    {
        using var batch = new DatagramBatch(2, 32, 0);
        batch.Count = 2;
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Count = 3);
    }

    [Fact]
    public void Frame_AfterDispose_Throws()
    {
        var batch = new DatagramBatch(1, 32, 0);
        batch.Dispose();
        batch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => batch.Frame(0));
    }

    [Theory]
    [InlineData(0, 100, 0)]
    [InlineData(1, 16, 16)]
    [InlineData(1, 16, -1)]
    public void Constructor_BadShape_Throws(int capacity, int frameSize, int headroom) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramBatch(capacity, frameSize, headroom));
}
