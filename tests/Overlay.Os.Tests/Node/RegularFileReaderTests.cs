using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

public sealed class RegularFileReaderTests : IDisposable
{
    private readonly SpecialFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static FileReadResult Read(string path, long limit = 1024) =>
        SpecialFiles.WithinTenSeconds(() => RegularFileReader.Instance.Read(path, limit));

    [Fact]
    public void Read_RegularFile_ReturnsAllBytes()
    {
        var r = Read(_files.Regular("a.json", "{\"x\":1}"));
        Assert.True(r.Ok);
        Assert.Equal("{\"x\":1}"u8.ToArray(), r.Bytes);
    }

    [Fact]
    public void Read_EmptyFile_ReturnsNoBytes()
    {
        var r = Read(_files.Regular("e.json", ""));
        Assert.True(r.Ok);
        Assert.Empty(r.Bytes!);
    }

    [Fact]
    public void Read_Fifo_RefusedWithoutBlocking()
    {
        var r = Read(_files.Fifo());
        Assert.Equal(FileReadStatus.NotRegular, r.Status);
        Assert.Equal("is a FIFO (named pipe), not a regular file", r.Problem);
    }

    [Fact]
    public void Read_DevZero_RefusedAsCharacterDevice()
    {
        var r = Read("/dev/zero");
        Assert.Equal(FileReadStatus.NotRegular, r.Status);
        Assert.Equal("is a character device, not a regular file", r.Problem);
    }

    [Fact]
    public void Read_SymlinkToFifo_RefusedNamingTarget()
    {
        string fifo = _files.Fifo();
        var r = Read(_files.SymlinkTo(fifo, "link.json"));
        Assert.Equal(FileReadStatus.NotRegular, r.Status);
        Assert.Equal($"is a symlink to {fifo}, which is a FIFO (named pipe), not a regular file", r.Problem);
    }

    [Fact]
    public void Read_SymlinkToDevZero_Refused()
    {
        var r = Read(_files.SymlinkTo("/dev/zero", "zero.json"));
        Assert.Equal(FileReadStatus.NotRegular, r.Status);
        Assert.Contains("which is a character device", r.Problem);
    }

    [Fact]
    public void Read_SymlinkToRegularFile_Follows()
    {
        string target = _files.Regular("real.json", "{}");
        var r = Read(_files.SymlinkTo(target, "link.json"));
        Assert.True(r.Ok);
        Assert.Equal("{}"u8.ToArray(), r.Bytes);
    }

    [Fact]
    public void Read_Directory_Refused()
    {
        var r = Read(_files.Directory);
        Assert.Equal(FileReadStatus.NotRegular, r.Status);
        Assert.Equal("is a directory, not a regular file", r.Problem);
    }

    [Fact]
    public void Read_Missing_NotFound()
    {
        Assert.Equal(FileReadStatus.NotFound, Read(Path.Combine(_files.Directory, "none")).Status);
    }

    [Fact]
    public void Read_ExactlyLimit_OkAndOneOver_TooLarge()
    {
        Assert.True(Read(_files.Regular("at.json", new string('x', 100)), limit: 100).Ok);
        var r = Read(_files.Regular("over.json", new string('x', 101)), limit: 100);
        Assert.Equal(FileReadStatus.TooLarge, r.Status);
        Assert.Contains("the limit is 100 bytes", r.Problem);
    }

    [Fact]
    public void Read_LargerThanFirstBuffer_ReadsEverything()
    {
        string text = new('y', 300_000);
        var r = Read(_files.Regular("big.json", text), limit: 1_000_000);
        Assert.True(r.Ok);
        Assert.Equal(300_000, r.Bytes!.Length);
    }

    [Fact]
    public void Read_ModeZero_FailsWithEaccesUnlessRoot()
    {
        string path = _files.Regular("secret.json", "{}");
        File.SetUnixFileMode(path, UnixFileMode.None);
        var r = Read(path);
        if (Overlay.Os.Interop.Libc.GetEUid() == 0)
        {
            Assert.True(r.Ok);   // root bypasses file modes (CAP_DAC_OVERRIDE)
            return;
        }
        Assert.Equal(FileReadStatus.Failed, r.Status);
        Assert.Contains("EACCES", r.Problem);
    }
}
