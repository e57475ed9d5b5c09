using System.Text;
using QRCoder;

namespace Overlay.Cli;

/// <summary>
/// A QR code for the terminal (<c>subnetra export --qr</c>, <c>add-peer --wireguard --qr</c>),
/// encoded by QRCoder (ISO/IEC 18004) and drawn with Unicode half blocks, two module rows per
/// text line, as <c>qrencode -t utf8</c> does: the light modules are drawn (█ ▀ ▄) and the dark
/// ones left blank, for a terminal with a dark background; the 4-module quiet zone is included.
/// Error correction level L (7%, enough on a screen, which does not smudge): a ~450-byte
/// wg-quick file fits in version 13 (69 modules), 77 columns with the quiet zone.
/// </summary>
public static class QrText
{
    public const char BothLight = '█';
    public const char TopLight = '▀';
    public const char BottomLight = '▄';
    public const char BothDark = ' ';

    /// <summary>The module matrix (true = dark), quiet zone included.</summary>
    public static bool[,] Modules(string text)
    {
        using var generator = new QRCodeGenerator();
        using QRCodeData data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.L);
        var rows = data.ModuleMatrix;
        int n = rows.Count;
        var modules = new bool[n, n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                modules[y, x] = rows[y][x];
        return modules;
    }

    /// <summary>The code as text lines ending in '\n'.</summary>
    public static string Render(string text)
    {
        bool[,] m = Modules(text);
        int n = m.GetLength(0);
        var sb = new StringBuilder((n + 1) * (n / 2 + 1));
        for (int y = 0; y < n; y += 2)
        {
            for (int x = 0; x < n; x++)
            {
                bool topLight = !m[y, x];
                bool bottomLight = y + 1 >= n || !m[y + 1, x]; // past the last row: quiet zone (light)
                sb.Append((topLight, bottomLight) switch
                {
                    (true, true) => BothLight,
                    (true, false) => TopLight,
                    (false, true) => BottomLight,
                    _ => BothDark,
                });
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
