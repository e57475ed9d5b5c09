namespace Overlay.Os.Node;

public enum LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 }

/// <summary>
/// One line per event on stderr, with a level: <c>subnetrad: info: peer 2 (spoke1): session established</c>.
/// Quiet by default (info: start, stop, sessions coming and going; debug adds per-handshake
/// detail). Never called per packet.
/// </summary>
public sealed class NodeLog(TextWriter writer, LogLevel level)
{
    public LogLevel Level { get; } = level;

    /// <summary>The line prefix: the program name (subnetra-wg logs as itself).</summary>
    public string Program { get; init; } = "subnetrad";

    public bool Enabled(LogLevel level) => level <= Level;

    public void Write(LogLevel level, string message)
    {
        if (!Enabled(level)) return;
        string tag = level switch { LogLevel.Error => "error", LogLevel.Warn => "warn", LogLevel.Info => "info", _ => "debug" };
        lock (writer) writer.WriteLine($"{Program}: {tag}: {message}");
    }

    public void Error(string m) => Write(LogLevel.Error, m);
    public void Warn(string m) => Write(LogLevel.Warn, m);
    public void Info(string m) => Write(LogLevel.Info, m);
    public void Debug(string m) => Write(LogLevel.Debug, m);

    public static bool TryParse(string? text, out LogLevel level)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "error": level = LogLevel.Error; return true;
            case "warn" or "warning": level = LogLevel.Warn; return true;
            case "info": level = LogLevel.Info; return true;
            case "debug": level = LogLevel.Debug; return true;
            default: level = LogLevel.Info; return false;
        }
    }
}
