using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Overlay.Cli.Tests.Onboarding;

/// <summary><c>export --qr</c> decodes back to the exact config text; <c>--output</c> writes 0600 and never through a symlink.</summary>
public sealed class ExportQrOutputTests : TempDirectoryTest
{
    private static string HubExample => Path.Combine(Harness.Examples, "hub.json");

    [Fact]
    public void ExportQr_DecodedWithZxing_IsTheExactConfigText()
    {
        var text = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--endpoint", "198.18.1.1:51820");
        var qr = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--endpoint", "198.18.1.1:51820", "--qr");
        Assert.Equal(0, qr.Exit);
        Assert.DoesNotContain("PrivateKey", qr.Out);
        Assert.Contains("warning: the QR code holds a private key", qr.Err);

        Assert.Equal(text.Out, Decode(qr.Out));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("[Interface]\nPrivateKey = x\n# config files are ASCII: names are printable ASCII only\n")]
    public void Render_DecodedWithZxing_RoundTrips(string payload) => Assert.Equal(payload, Decode(QrText.Render(payload)));

    [Fact]
    public void Render_Shape_SquareOfHalfBlocksWithQuietZone()
    {
        string[] lines = QrText.Render("hello").TrimEnd('\n').Split('\n');
        int width = lines[0].Length;
        Assert.All(lines, l => Assert.Equal(width, l.Length));
        Assert.Equal((width + 1) / 2, lines.Length);
        Assert.All(lines[0], c => Assert.Equal(QrText.BothLight, c)); // quiet zone: light
        Assert.All(string.Concat(lines), c => Assert.Contains(c, new[] { QrText.BothLight, QrText.TopLight, QrText.BottomLight, QrText.BothDark }));
    }

    [Fact]
    public void ExportOutput_Mode0600UnderUmask022_TextNotOnStdout()
    {
        string file = P("phone.conf");
        Harness.Outcome r;
        using (Umask.Set("022"))
            r = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--output", file);
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains("PrivateKey = ", File.ReadAllText(file));
        Assert.DoesNotContain("warning: this text holds a private key", r.Err);
    }

    [Fact]
    public void ExportStdout_WarnsAboutPrivateKey()
    {
        var r = Harness.Cli("", "export", "--config", HubExample, "--peer", "2");
        Assert.Contains("[Interface]", r.Out);
        Assert.Contains("warning: this text holds a private key: use --output FILE (mode 0600)", r.Err);
    }

    [Fact]
    public void ExportOutput_Symlink_RefusedAndTargetUntouched()
    {
        string target = P("target");
        File.WriteAllText(target, "keep");
        File.CreateSymbolicLink(P("link.conf"), target);
        File.CreateSymbolicLink(P("dangling.conf"), P("nowhere"));

        var r = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--output", P("link.conf"));
        var forced = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--output", P("link.conf"), "--force");
        var dangling = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--output", P("dangling.conf"));

        Assert.Equal((2, 2, 2), (r.Exit, forced.Exit, dangling.Exit));
        Assert.Contains("is a symbolic link", r.Err);
        Assert.Contains("is a symbolic link", forced.Err);
        Assert.Equal("keep", File.ReadAllText(target));
        Assert.False(File.Exists(P("nowhere")));
    }

    [Fact]
    public void ExportOutput_Existing_RefusedWithoutForceReplacedWithForce()
    {
        string file = P("phone.conf");
        File.WriteAllText(file, "old");
        File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
        var r = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--output", file);
        Assert.Equal(2, r.Exit);
        Assert.Equal("old", File.ReadAllText(file));
        var forced = Harness.Cli("", "export", "--config", HubExample, "--peer", "2", "--output", file, "--force");
        Assert.Equal(0, forced.Exit);
        Assert.StartsWith("# wg-quick", File.ReadAllText(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    /// <summary>
    /// Scans the terminal rendering: each character is two modules (top, bottom) light or dark;
    /// the module matrix, 4 pixels per module, becomes a gray-scale image for ZXing's QR reader.
    /// </summary>
    internal static string Decode(string rendered)
    {
        string[] lines = rendered.TrimEnd('\n').Split('\n');
        int width = lines[0].Length, height = lines.Length * 2;
        var dark = new bool[height, width];
        for (int row = 0; row < lines.Length; row++)
            for (int x = 0; x < width; x++)
            {
                char c = lines[row][x];
                dark[2 * row, x] = c is QrText.BottomLight or QrText.BothDark;
                dark[2 * row + 1, x] = c is QrText.TopLight or QrText.BothDark;
            }
        const int scale = 4;
        var pixels = new byte[width * scale * height * scale];
        for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < width * scale; x++)
                pixels[y * width * scale + x] = dark[y / scale, x / scale] ? (byte)0 : (byte)255;
        var source = new RGBLuminanceSource(pixels, width * scale, height * scale, RGBLuminanceSource.BitmapFormat.Gray8);
        Result? result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
        Assert.NotNull(result);
        return result.Text;
    }
}
