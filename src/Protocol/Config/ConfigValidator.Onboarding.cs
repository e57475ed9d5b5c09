namespace Overlay.Protocol.Config;

/// <summary>
/// Rules that exist for onboarding with <c>subnetra init</c> / <c>add-peer</c> (issue 13):
/// <list type="bullet">
/// <item><c>advertised_endpoint</c> (hub): the public HOST:PORT spokes dial, validated like a
/// peer endpoint; add-peer writes it into each spoke's <c>peers[0].endpoint</c> and export uses
/// it as Endpoint. The daemon itself does not use it, so on a spoke or manual node it is
/// ignored with a warning.</item>
/// <item>a hub with no peers yet is valid (what init writes), with a warning; a spoke still
/// needs exactly one peer and a manual node at least one.</item>
/// </list>
/// </summary>
internal sealed partial class ConfigValidator
{
    private const string AdvertisedEndpointKey = "advertised_endpoint";

    private void ReadAdvertisedEndpoint(TopDraft d)
    {
        if (!d.Fields.TryGetValue(AdvertisedEndpointKey, out var node) || String(node) is not string text) return;
        if (!AddressText.TryParseEndpoint(text, out var endpoint, out string why))
        {
            Error(node.JsonPath, why);
            return;
        }
        if (d.Role is NodeRole.Hub) d.AdvertisedEndpoint = endpoint;
        else if (d.Role is not null)
            Warn(node.JsonPath, "ignored: only a hub config advertises the endpoint its spokes dial (a spoke dials peers[0].endpoint)");
    }

    /// <summary>An empty peers[]: a warning on a hub (init's output; spokes come with add-peer), else an error.</summary>
    private void EmptyPeers(TopDraft d)
    {
        if (d.Role is NodeRole.Hub)
            Warn("peers", "no peers yet: the hub relays nothing until spokes are added ('subnetra add-peer', then 'subnetra reload')");
        else
            Error("peers", "must list at least one peer");
    }
}
