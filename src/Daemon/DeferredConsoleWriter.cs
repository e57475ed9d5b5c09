using System.Text;

namespace Overlay.Daemon;

/// <summary>
/// A writer that touches <see cref="Console"/> only when something is written. subnetra-wg's
/// launcher must not open the console streams before it starts its background child: .NET keeps
/// a duplicate of fd 1/2 behind them that the child inherits, and that duplicate would hold the
/// caller's pipe (wg-quick's stderr, a test's capture) open for the daemon's whole life.
/// </summary>
internal sealed class DeferredConsoleWriter(bool error) : TextWriter
{
    private TextWriter Target => error ? Console.Error : Console.Out;

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Target.Write(value);

    public override void Write(string? value) => Target.Write(value);

    public override void WriteLine(string? value) => Target.WriteLine(value);

    public override void Flush() => Target.Flush();
}
