namespace Overlay.Integration.Tests.Harness;

/// <summary>A Curve25519 key pair in wg(8)'s base64 form.</summary>
public sealed record WgKeyPair(string PrivateKey, string PublicKey)
{
    public static WgKeyPair Generate() => WgKeys.GenerateKeyPair();
}

/// <summary>Keys from wireguard-tools: <c>wg genkey</c>, <c>wg pubkey</c>, <c>wg genpsk</c> (base64, 44 chars).</summary>
public static class WgKeys
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static string GeneratePrivateKey() => Cmd.Run(["wg", "genkey"], Timeout).EnsureSuccess().Stdout.Trim();

    public static string PublicKeyOf(string privateKey) =>
        Cmd.Run(["wg", "pubkey"], Timeout, stdin: privateKey + "\n").EnsureSuccess().Stdout.Trim();

    public static string GeneratePresharedKey() => Cmd.Run(["wg", "genpsk"], Timeout).EnsureSuccess().Stdout.Trim();

    public static WgKeyPair GenerateKeyPair()
    {
        string privateKey = GeneratePrivateKey();
        return new WgKeyPair(privateKey, PublicKeyOf(privateKey));
    }

    /// <summary>Base64 key to the lowercase hex form UAPI uses (wireguard.md §4.2).</summary>
    public static string ToHex(string base64Key) => Convert.ToHexStringLower(Convert.FromBase64String(base64Key));
}
