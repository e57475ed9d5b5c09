using System.Text.Json.Nodes;
using Overlay.Protocol.Config;

namespace Overlay.Cli.Tests.Onboarding;

/// <summary>
/// Issue 13's done-when flow with subnetra alone: init a hub, add two spokes (one macOS), check
/// the three files together, and catch a spoke holding the wrong PSK.
/// </summary>
public sealed class OnboardingFlowTests : TempDirectoryTest
{
    [Fact]
    public void Flow_InitTwoAddPeersCheck_PassesAndReplacedPskFailsNamingFileAndPsk()
    {
        var init = Harness.Cli("", "init", "--virtual-subnet", "198.19.0.0/24", "--endpoint", "198.18.1.1:51820", "--output", Hub);
        Assert.True(init.Exit == 0, init.Err);
        Assert.Contains("next steps:", init.Out);

        var a = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--os", "macos", "--output", P("laptop.json"));
        Assert.True(a.Exit == 0, a.Err);
        var b = Harness.Cli("", "add-peer", "--config", Hub, "--name", "server", "--output", P("server.json"));
        Assert.True(b.Exit == 0, b.Err);
        Assert.Contains("subnetra reload", b.Out);
        Assert.Contains("launchd", a.Out);

        var check = Harness.Cli("", "check", Hub, P("laptop.json"), P("server.json"));
        Assert.True(check.Exit == 0, check.Err);
        Assert.Equal("check OK: 3 file(s), 1 hub(s), 2 spoke(s): every link matches at both ends\n", check.Out);

        // Every generated file passes subnetrad --check on its own too.
        foreach (string f in new[] { Hub, P("laptop.json"), P("server.json") })
            Assert.Equal(0, Harness.Daemon("--check", "--config", f).Exit);

        var hub = Load(Hub);
        Assert.Equal([2, 3], hub.Peers.Select(p => (int)p.Id));
        Assert.Equal(["198.19.0.2/32"], hub.Peers[0].AllowedSrc.Select(n => n.ToString()));
        var laptop = Load(P("laptop.json"));
        Assert.Equal(2, laptop.LocalId);
        Assert.Equal("198.19.0.2/24", laptop.LocalTunIp.ToString());
        Assert.Equal("198.18.1.1:51820", laptop.HubPeer!.Endpoint!.ToString());
        Assert.Equal(hub.Peers[0].Psk, laptop.HubPeer.Psk);
        Assert.DoesNotContain("tun_name", File.ReadAllText(P("laptop.json")));

        // A spoke holding another link's PSK passes --check alone but not check of the set.
        var tree = JsonNode.Parse(File.ReadAllText(P("server.json")))!;
        tree["peers"]![0]!["psk"] = Harness.Cli("", "genpsk").Out.Trim();
        File.WriteAllText(P("server.json"), tree.ToJsonString());
        Assert.Equal(0, Harness.Daemon("--check", "--config", P("server.json")).Exit);
        var bad = Harness.Cli("", "check", Hub, P("laptop.json"), P("server.json"));
        Assert.Equal(2, bad.Exit);
        Assert.Equal("", bad.Out);
        Assert.Contains($"{P("server.json")}: peers[0].psk: does not match {Hub}: peers[1].psk", bad.Err);
        Assert.DoesNotContain(P("laptop.json") + ":", bad.Err);
    }

    [Fact]
    public void Init_WritesMode0600UnderUmask022AndRefusesOverwrite()
    {
        using (Umask.Set("022"))
        {
            var r = Harness.Cli("", "init", "--virtual-subnet", "198.19.0.0/24", "--endpoint", "hub.example.net:51820", "--output", Hub);
            Assert.True(r.Exit == 0, r.Err);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Hub));
        var cfg = Load(Hub);
        Assert.Equal("198.19.0.1/24", cfg.LocalTunIp.ToString());
        Assert.Equal(51820, cfg.EffectiveListenPorts[0]);
        Assert.Equal("hub.example.net:51820", cfg.AdvertisedEndpoint!.ToString());
        Assert.Empty(cfg.Peers);

        var again = Harness.Cli("", "init", "--virtual-subnet", "198.19.0.0/24", "--endpoint", "hub.example.net:51820", "--output", Hub);
        Assert.Equal(2, again.Exit);
        Assert.Contains("already exists; pass --force", again.Err);
        var forced = Harness.Cli("", "init", "--virtual-subnet", "198.19.0.0/24", "--endpoint", "hub.example.net:4500", "--listen-port", "51820", "--hub-ip", "198.19.0.254", "--force", "--output", Hub);
        Assert.True(forced.Exit == 0, forced.Err);
        cfg = Load(Hub);
        Assert.Equal("198.19.0.254/24", cfg.LocalTunIp.ToString());
        Assert.Equal("hub.example.net:4500", cfg.AdvertisedEndpoint!.ToString());
        Assert.Equal(51820, cfg.EffectiveListenPorts[0]);
    }

    [Theory]
    [InlineData("--virtual-subnet", "198.19.0.1/24", "host bits set; did you mean 198.19.0.0/24?")]
    [InlineData("--hub-ip", "198.20.0.1", "--hub-ip takes an address inside 198.19.0.0/24")]
    [InlineData("--hub-ip", "198.19.0.255", "not its network or broadcast address")]
    [InlineData("--endpoint", "nohost", "--endpoint: ")]
    public void Init_BadValue_ExitsTwoNamingOption(string option, string value, string expected)
    {
        var args = new Dictionary<string, string> { ["--virtual-subnet"] = "198.19.0.0/24", ["--endpoint"] = "198.18.1.1:51820", [option] = value };
        var r = Harness.Cli("", ["init", "--output", Hub, .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.Equal(2, r.Exit);
        Assert.Contains(expected, r.Err);
        Assert.False(File.Exists(Hub));
    }

    [Fact]
    public void AddPeer_Lan_BecomesLocalRoutesAndAllowedSrcAndLaterSpokesRouteIt()
    {
        InitHub();
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "office", "--lan", "192.168.50.0/24", "--tun-name", "ovl-office", "--output", P("office.json"));
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("subnetrad turns IP forwarding on at start", r.Out);   // the daemon's plan does it, not the operator
        Assert.Contains("subnetrad --check --config /etc/subnetra/config.json", r.Out);
        var office = Load(P("office.json"));
        Assert.Equal(["198.19.0.2/32", "192.168.50.0/24"], office.LocalRoutes.Select(n => n.ToString()));
        Assert.Equal("ovl-office", office.TunName);
        Assert.Equal(["198.19.0.2/32", "192.168.50.0/24"], Load(Hub).Peers[0].AllowedSrc.Select(n => n.ToString()));

        Assert.Equal(0, Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json")).Exit);
        var laptop = Load(P("laptop.json"));
        Assert.Equal(["198.19.0.0/24", "192.168.50.0/24"], laptop.RemoteRoutes.Select(n => n.ToString()));
        Assert.Equal(0, Harness.Cli("", "check", Hub, P("office.json"), P("laptop.json")).Exit);
    }

    [Fact]
    public void AddPeer_GivenIdAndIp_UsedAndClashesRefusedWithoutWriting()
    {
        InitHub();
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "nas", "--id", "40", "--ip", "198.19.0.40", "--output", P("nas.json"));
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(40, Load(P("nas.json")).LocalId);
        string before = File.ReadAllText(Hub);

        var idClash = Harness.Cli("", "add-peer", "--config", Hub, "--name", "x", "--id", "40", "--output", P("x.json"));
        Assert.Equal(2, idClash.Exit);
        Assert.Contains("--id 40 is taken by peer 'nas'", idClash.Err);
        var ipClash = Harness.Cli("", "add-peer", "--config", Hub, "--name", "x", "--ip", "198.19.0.40", "--output", P("x.json"));
        Assert.Contains("--ip 198.19.0.40 is taken by peer 'nas'", ipClash.Err);
        var hubIp = Harness.Cli("", "add-peer", "--config", Hub, "--name", "x", "--ip", "198.19.0.1", "--output", P("x.json"));
        Assert.Contains("taken by the hub", hubIp.Err);
        var hubId = Harness.Cli("", "add-peer", "--config", Hub, "--name", "x", "--id", "1", "--output", P("x.json"));
        Assert.Contains("the hub's own local_id", hubId.Err);
        var name = Harness.Cli("", "add-peer", "--config", Hub, "--name", "nas", "--output", P("x.json"));
        Assert.Contains("already has that name", name.Err);
        var lan = Harness.Cli("", "add-peer", "--config", Hub, "--name", "x", "--lan", "198.19.0.32/27", "--output", P("x.json"));
        Assert.Contains("overlaps 198.19.0.40/32 of peer 'nas'", lan.Err);

        Assert.Equal(before, File.ReadAllText(Hub));
        Assert.False(File.Exists(P("x.json")));

        // The next automatic id is one above the highest; the address the first free one.
        Assert.Equal(0, Harness.Cli("", "add-peer", "--config", Hub, "--name", "y", "--output", P("y.json")).Exit);
        var y = Load(P("y.json"));
        Assert.Equal((41, "198.19.0.2/24"), ((int)y.LocalId, y.LocalTunIp.ToString()));
    }

    [Fact]
    public void AddPeer_HubWithComments_SavesBackupKeepsModeAndSaysSo()
    {
        InitHub();
        File.WriteAllText(Hub, "// my hub\n" + File.ReadAllText(Hub));
        File.SetUnixFileMode(Hub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"));
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains($"note: {Hub} had comments, which a rewritten file cannot keep; the previous file is saved as {Hub}.bak", r.Out);
        Assert.Contains("mode 0640 kept", r.Out);
        Assert.StartsWith("// my hub\n", File.ReadAllText(Hub + ".bak"));
        Assert.DoesNotContain("//", File.ReadAllText(Hub));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Hub));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(P("laptop.json")));
        Assert.Empty(Directory.GetFiles(Dir, ".*.tmp"));
    }

    [Fact]
    public void AddPeer_ExistingOutput_RefusedAndHubUnchanged()
    {
        InitHub();
        File.WriteAllText(P("laptop.json"), "{}");
        string before = File.ReadAllText(Hub);
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"));
        Assert.Equal(2, r.Exit);
        Assert.Contains("already exists; pass --force to replace it; nothing was written", r.Err);
        Assert.Equal(before, File.ReadAllText(Hub));
    }

    [Fact]
    public void AddPeer_HubWithoutAdvertisedEndpoint_SaysWhatToAdd()
    {
        string hub = P("plain-hub.json");
        File.WriteAllText(hub, """{ "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "peers": [] }""");
        var r = Harness.Cli("", "add-peer", "--config", hub, "--name", "laptop", "--output", P("laptop.json"));
        Assert.Equal(2, r.Exit);
        Assert.Contains("has no advertised_endpoint", r.Err);
        Assert.Contains("\"advertised_endpoint\": \"HOST:PORT\"", r.Err);
    }

    [Fact]
    public void AddPeer_Wireguard_WritesWgQuickConfigForThePeer()
    {
        InitHub();
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "phone", "--wireguard", "--output", P("phone.conf"));
        Assert.True(r.Exit == 0, r.Err);
        string text = File.ReadAllText(P("phone.conf"));
        var export = Harness.Cli("", "export", "--config", Hub, "--peer", "2");
        Assert.Equal(export.Out, text);
        var sections = WgQuickParser.Parse(text);
        Assert.Equal("198.19.0.2/32", sections[0].Get("Address"));
        Assert.Equal("198.18.1.1:51820", sections[1].Get("Endpoint"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(P("phone.conf")));
    }

    [Fact]
    public void AddPeer_ReloadWithoutDaemon_FilesWrittenExitOneAndSaysSo()
    {
        InitHub();
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"), "--reload", "--socket", P("none.sock"));
        Assert.Equal(1, r.Exit);
        Assert.Contains("daemon not running", r.Err);
        Assert.Contains("the files are written", r.Err);
        Assert.Single(Load(Hub).Peers);
    }

    [Fact]
    public async Task AddPeer_ReloadWithDaemon_AsksForReloadAndPrintsTheSummary()
    {
        InitHub();
        var requests = new List<string>();
        string socket = Path.Combine("/tmp", "onb-" + Guid.NewGuid().ToString("N")[..10] + ".sock");
        await using (var server = Overlay.Os.Control.ControlServer.Start(socket, (request, _) =>
        {
            lock (requests) requests.Add(request.Command);
            return ValueTask.FromResult(new Overlay.Protocol.Control.ControlResponse
            {
                Ok = true, Message = "reloaded " + Hub, Reload = new Overlay.Protocol.Control.ReloadSummary { Added = [2] },
            });
        }))
        {
            var r = await Task.Run(() => Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"), "--reload", "--socket", socket));
            Assert.True(r.Exit == 0, r.Err);
            Assert.Contains($"reloaded {Hub}\n  added: 2\n", r.Out.Replace("\r", ""));
            Assert.DoesNotContain("on the hub:   subnetra reload", r.Out);
        }
        Assert.Equal([Overlay.Protocol.Control.ControlCommands.Reload], requests);
        File.Delete(socket);
    }

    [Fact]
    public void AddPeer_TunNameForMacOs_UsageError()
    {
        InitHub();
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "mac", "--os", "macos", "--tun-name", "ovl1", "--output", P("mac.json"));
        Assert.Equal(2, r.Exit);
        Assert.Contains("--tun-name is for Linux spokes", r.Err);
        Assert.False(File.Exists(P("mac.json")));
    }

    [Fact]
    public void HubWithoutPeers_CheckWarnsButPasses()
    {
        InitHub();
        var r = Harness.Daemon("--check", "--config", Hub);
        Assert.Equal(0, r.Exit);
        Assert.Contains($"warning: {Hub}: peers: no peers yet", r.Err);
    }

    private string Hub => P("hub.json");

    private void InitHub() =>
        Assert.Equal(0, Harness.Cli("", "init", "--virtual-subnet", "198.19.0.0/24", "--endpoint", "198.18.1.1:51820", "--output", Hub).Exit);

    internal static OverlayConfig Load(string path)
    {
        var r = ConfigLoader.LoadFile(path, Overlay.Os.Node.RegularFileReader.Instance);
        Assert.True(r.Success, string.Join('\n', r.Errors));
        return r.Config!;
    }
}
