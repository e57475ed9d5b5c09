namespace Overlay.Os.Control;

public static partial class ControlPaths
{
    /// <summary>Linux default: /run is the tmpfs for runtime state (FHS 3.0 §3.15).</summary>
    public const string Default = "/run/subnetra/subnetra.sock";

    /// <summary>Where subnetra-wg puts one control socket per interface (<see cref="ForInterface"/>).</summary>
    public const string WgDirectory = "/run/subnetra-wg";
}
