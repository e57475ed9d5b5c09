namespace Overlay.Protocol.Engine;

/// <summary>
/// The engine's settings, fixed at construction (one owner, one default). What changes while the
/// engine runs (<see cref="WireGuardEngine.UnderLoad"/>, a peer's keepalive) is state, not an option.
/// </summary>
public sealed record WireGuardEngineOptions
{
    /// <summary>wireguard-go's DefaultMTU; also the config's default <c>local_tun_mtu</c>.</summary>
    public const int DefaultMtu = 1420;

    public static WireGuardEngineOptions Default { get; } = new();

    /// <summary>Tunnel MTU: transport payloads are padded up to it (whitepaper §5.4.6).</summary>
    public int Mtu { get; init; } = DefaultMtu;

    /// <summary>mac1 trials the identity scan may spend per loop turn, all sources together (DESIGN.md §4).</summary>
    public int Mac1ScanBudgetPerTurn { get; init; } = 4096;

    /// <summary>
    /// Scan trials one source (/32, /64) may spend per turn; null means a quarter of
    /// <see cref="Mac1ScanBudgetPerTurn"/> (docs/link-hint.md, "Rationed scan").
    /// </summary>
    public int? Mac1ScanSourceShare { get; init; }
}
