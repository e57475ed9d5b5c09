namespace Overlay.Os.Control;

public static partial class ControlPaths
{
    /// <summary>macOS default: /var/run holds daemon runtime files (hier(7)).</summary>
    public const string Default = "/var/run/subnetra.sock";

    /// <summary>Where subnetra-wg puts one control socket per interface (<see cref="ForInterface"/>).</summary>
    public const string WgDirectory = "/var/run/subnetra-wg";
}
