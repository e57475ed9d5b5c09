namespace Overlay.Protocol.Config;

/// <summary>
/// Config rules that exist for onboarding with <c>subnetra init</c> / <c>add-peer</c> (issue 13),
/// kept apart from the validator's sections so they read as one piece:
/// <list type="bullet">
/// <item><c>advertised_endpoint</c> (hub): the public HOST:PORT spokes dial, validated like a
/// peer endpoint; add-peer writes it into each spoke's <c>peers[0].endpoint</c> and export uses
/// it as Endpoint. The daemon itself does not use it, so on a spoke or manual node it is
/// ignored with a warning.</item>
/// <item>a hub with no peers yet is valid (what init writes), with a warning; a spoke still
/// needs exactly one peer and a manual node at least one.</item>
/// </list>
/// </summary>
internal static class OnboardingKeys
{
    public const string AdvertisedEndpoint = "advertised_endpoint";

    /// <summary>Validates the advertised endpoint text; null when absent, invalid or not on a hub.</summary>
    public static PeerEndpoint? ReadAdvertisedEndpoint(string? text, NodeRole? role, Action<string, string> error, Action<string, string> warn)
    {
        if (text is null) return null;
        if (!AddressText.TryParseEndpoint(text, out var endpoint, out string why))
        {
            error(AdvertisedEndpoint, why);
            return null;
        }
        if (role is NodeRole.Hub) return endpoint;
        if (role is not null)
            warn(AdvertisedEndpoint, "ignored: only a hub config advertises the endpoint its spokes dial (a spoke dials peers[0].endpoint)");
        return null;
    }

    /// <summary>
    /// An empty peers[]: a warning on a hub (init's output; spokes come with add-peer), else an error.
    /// Returns true when it was an error.
    /// </summary>
    public static bool EmptyPeers(NodeRole? role, Action<string, string> error, Action<string, string> warn)
    {
        if (role is NodeRole.Hub)
        {
            warn("peers", "no peers yet: the hub relays nothing until spokes are added ('subnetra add-peer', then 'subnetra reload')");
            return false;
        }
        error("peers", "must list at least one peer");
        return true;
    }
}
