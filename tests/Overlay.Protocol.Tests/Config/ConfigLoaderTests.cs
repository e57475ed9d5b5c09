using System.Net;
using Overlay.Protocol.Config;

namespace Overlay.Protocol.Tests.Config;

public class ConfigLoaderTests
{
    private static ConfigLoadResult Load(string json) => ConfigLoader.LoadJson(json, "test.json", Path.GetTempPath());

    private static void AssertError(ConfigLoadResult r, string path, string messagePart)
    {
        Assert.Null(r.Config);
        Assert.True(r.Errors.Any(e => e.Path == path && e.Message.Contains(messagePart, StringComparison.Ordinal)),
            $"expected {path}: ...{messagePart}... in:\n{string.Join("\n", r.Errors)}");
    }

    [Fact]
    public void LoadJson_ValidHub_AppliesHubDefaults()
    {
        var r = Load(ConfigJson.Hub());
        Assert.Empty(r.Errors);
        var c = r.Config!;
        Assert.Equal(NodeRole.Hub, c.Role);
        Assert.Equal(IPNetwork.Parse("198.18.0.0/24"), c.VirtualSubnet);
        Assert.Equal(1, c.LocalId);
        Assert.Equal("198.18.0.1/24", c.LocalTunIp.ToString());
        Assert.Equal(1420, c.TunMtu);
        Assert.Equal([(ushort)51820], c.EffectiveListenPorts);
        Assert.Equal(0, c.KeepaliveSecs);
        Assert.Equal("snr0", c.TunName);
        Assert.Equal(2, c.Peers.Count);
        Assert.Equal("alice", c.Peers[0].Name);
        Assert.Equal("peer-3", c.Peers[1].Name);
        Assert.Equal(1, c.Peers[1].Index);
        Assert.Equal(new PeerEndpoint("198.19.0.2", 51820, IPAddress.Parse("198.19.0.2")), c.Peers[0].Endpoint);
        Assert.Null(c.Peers[1].Endpoint);
        Assert.Equal([IPNetwork.Parse("198.18.0.3/32"), IPNetwork.Parse("198.18.1.0/24")], c.Peers[1].AllowedSrc);
        Assert.Equal(Convert.FromHexString(ConfigJson.Psk1), c.Peers[0].Psk);
        Assert.Null(c.PrivateKey);
    }

    /// <summary>FindPeer is an indexed lookup now (status of a 10,000-link hub called it per peer); it must still answer every id and miss cleanly.</summary>
    [Fact]
    public void FindPeer_EveryIdFound_UnknownIdNull()
    {
        var c = Load(ConfigJson.Hub()).Config!;
        foreach (PeerConfig p in c.Peers) Assert.Same(p, c.FindPeer(p.Id));
        Assert.Null(c.FindPeer(c.LocalId));
        Assert.Null(c.FindPeer(65535));
    }

    [Fact]
    public void LoadJson_ValidSpoke_AppliesSpokeDefaultsAndHubAllowedSources()
    {
        var r = Load(ConfigJson.Spoke("\"remote_routes\": [\"198.18.0.0/24\", \"198.19.8.0/24\"],"));
        Assert.Empty(r.Errors);
        var c = r.Config!;
        Assert.Equal(25, c.KeepaliveSecs);
        Assert.Equal([(ushort)0], c.EffectiveListenPorts);
        Assert.Same(c.Peers[0], c.HubPeer);
        Assert.Empty(c.Peers[0].AllowedSrc);
        Assert.Equal([IPNetwork.Parse("198.18.0.0/24"), IPNetwork.Parse("198.19.8.0/24")], c.Peers[0].EffectiveAllowedSources);
    }

    [Fact]
    public void LoadJson_ExplicitValues_Override()
    {
        var r = Load(ConfigJson.Spoke("\"keepalive_secs\": 0, \"local_tun_mtu\": 1380, \"listen_ports\": [51820, 51821], \"tun_name\": \"ovl-a\", \"negotiation_version\": 1,"));
        Assert.Empty(r.Errors);
        Assert.Equal(0, r.Config!.KeepaliveSecs);
        Assert.Equal(1380, r.Config.TunMtu);
        Assert.Equal([(ushort)51820, (ushort)51821], r.Config.EffectiveListenPorts);
        Assert.Equal("ovl-a", r.Config.TunName);
    }

    [Fact]
    public void LoadJson_Base64Psk_EqualsHexPsk()
    {
        string b64 = Convert.ToBase64String(Convert.FromHexString(ConfigJson.Psk1));
        var r = Load(ConfigJson.Spoke().Replace(ConfigJson.Psk1, b64));
        Assert.Empty(r.Errors);
        Assert.Equal(Convert.FromHexString(ConfigJson.Psk1), r.Config!.Peers[0].Psk);
    }

    [Fact]
    public void LoadJson_ManyProblems_ReportsAllOfThem()
    {
        string json = """
        { "role": "hubb", "virtual_subnet": "198.18.0.0/33", "local_id": 0, "listen_prot": 1,
          "peers": [ { "id": 2, "psk": "xyz" }, { "id": 2, "psk": 5, "colour": "red" } ] }
        """;
        var r = Load(json);
        AssertError(r, "role", "must be \"hub\", \"spoke\" or \"manual\"");
        AssertError(r, "virtual_subnet", "prefix length must be 0..32");
        AssertError(r, "local_id", "must be in 1..65535; got 0");
        AssertError(r, "listen_prot", "did you mean 'listen_port'?");
        AssertError(r, "peers[0].psk", "got 3 characters");
        AssertError(r, "peers[1].id", "duplicate of peers[0].id");
        AssertError(r, "peers[1].colour", "unknown key");
        Assert.True(r.Errors.Count >= 8, string.Join("\n", r.Errors));
    }

    [Theory]
    [InlineData("\"local_tun_mtu\": \"big\",", "local_tun_mtu", "expected an integer, got 'big'")]
    [InlineData("\"local_tun_mtu\": 1.5,", "local_tun_mtu", "expected an integer, got '1.5'")]
    [InlineData("\"local_tun_mtu\": 100,", "local_tun_mtu", "must be in 576..9000; got 100")]
    [InlineData("\"keepalive_secs\": true,", "keepalive_secs", "expected an integer, got 'True'")]
    [InlineData("\"tun_name\": {\"a\": 1},", "tun_name", "expected a string, got an object")]
    [InlineData("\"tun_name\": \"a-very-long-interface-name\",", "tun_name", "must be 1..15 characters")]
    [InlineData("\"obfuscate\": true,", "obfuscate", "framing is never masked")]
    [InlineData("\"obfuscate\": \"yes\",", "obfuscate", "expected true or false")]
    [InlineData("\"negotiation_version\": 2,", "negotiation_version", "must be 1")]
    [InlineData("\"local_routes\": \"198.18.0.2/32\",", "local_routes", "expected an array")]
    [InlineData("\"local_routes\": [\"0.0.0.0/0\"],", "local_routes[0]", "too broad")]
    [InlineData("\"listen_ports\": [51820, 51820],", "listen_ports[1]", "duplicate port 51820")]
    [InlineData("\"Role\": \"spoke\",", "Role", "invalid JSON")]
    [InlineData("\"psk\": \"x\",", "psk", "put a psk on each peers[] entry")]
    [InlineData("\"allowed_src\": \"198.18.0.0/24\",", "allowed_src", "belongs in each peers[] entry")]
    [InlineData("\"private_key\": \"abc\",", "private_key", "44-character base64")]
    public void LoadJson_BadTopLevelValue_NamesKeyPath(string extra, string path, string message)
    {
        var r = Load(ConfigJson.Spoke(extra));
        if (message == "invalid JSON")
        {
            // Keys differing only in case collide in M.E.Configuration: reported as a JSON error.
            Assert.Contains(r.Errors, e => e.Path == "" && e.Message.Contains("duplicate key", StringComparison.Ordinal));
            return;
        }
        AssertError(r, path, message);
    }

    // Issue 2: M.E.Configuration flattens 5 and "5" to the same text; the JSON token kind must
    // still decide, so a quoted number or boolean (or a bare number for a string) is an error.
    [Theory]
    [InlineData("\"local_id\": 2", "\"local_id\": \"5\"", "local_id", "expected an integer, got a string '5'")]
    [InlineData("\"local_id\": 2", "\"local_id\": 2, \"listen_port\": \"51820\"", "listen_port", "expected an integer, got a string '51820'")]
    [InlineData("\"id\": 1", "\"id\": \"1\"", "peers[0].id", "expected an integer, got a string '1'")]
    [InlineData("\"local_id\": 2", "\"local_id\": 2, \"keepalive_secs\": \"25\"", "keepalive_secs", "expected an integer, got a string '25'")]
    [InlineData("\"local_id\": 2", "\"local_id\": 2, \"obfuscate\": \"false\"", "obfuscate", "expected true or false, got a string 'false'")]
    [InlineData("\"local_id\": 2", "\"local_id\": 2, \"tun_name\": 5", "tun_name", "expected a string, got a number 5")]
    [InlineData("\"name\": \"hub\"", "\"name\": true", "peers[0].name", "expected a string, got true")]
    [InlineData("\"local_id\": 2", "\"local_id\": 2, \"listen_ports\": [51820, \"51821\"]", "listen_ports[1]", "expected an integer, got a string '51821'")]
    public void LoadJson_WrongJsonTokenKind_NamesKeyPath(string find, string replace, string path, string message)
    {
        string json = ConfigJson.Spoke();
        Assert.Contains(find, json);
        var r = Load(json.Replace(find, replace));
        Assert.Null(r.Config);
        AssertError(r, path, message);
    }

    [Fact]
    public void LoadJson_TypedValuesWithCommentsAndTrailingCommas_Accepted()
    {
        string json = ConfigJson.Spoke("// comment\n\"keepalive_secs\": 25, \"obfuscate\": false, \"tun_name\": \"ov0\",")
            .Replace("\"psk\": \"" + ConfigJson.Psk1 + "\"", "\"psk\": \"" + ConfigJson.Psk1 + "\",");
        var r = Load(json);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        Assert.Equal(25, r.Config!.KeepaliveSecs);
        Assert.Equal("ov0", r.Config.TunName);
    }

    [Fact]
    public void JsonKinds_NestedPaths_CaseInsensitiveFlattenedKeys()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{ "a": "5", "peers": [ { "id": 5 }, true ] }""");
        var kinds = ConfigLoader.JsonKinds(doc.RootElement);
        Assert.Equal(System.Text.Json.JsonValueKind.String, kinds["A"]);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, kinds["peers"]);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, kinds["peers:0:ID"]);
        Assert.Equal(System.Text.Json.JsonValueKind.True, kinds["peers:1"]);
    }

    private const string P = "\"id\": 1, \"psk\": \"" + ConfigJson.Psk1 + "\"";

    [Theory]
    [InlineData(P + ", \"endpoint\": \"198.19.0.1\"", "peers[0].endpoint", "missing ':port'")]
    [InlineData(P + ", \"endpoint\": \"fd00::1:51820\"", "peers[0].endpoint", "with brackets")]
    [InlineData(P + ", \"endpoint\": \"198.19.0.1:0\"", "peers[0].endpoint", "port must be 1..65535")]
    [InlineData(P + ", \"endpoint\": \"300.1.1.1:5\"", "peers[0].endpoint", "not a valid IPv4 address")]
    [InlineData(P, "peers[0].endpoint", "required on a spoke")]
    [InlineData(P + ", \"endpoint\": \"h:1\", \"public_key\": \"AAAA\"", "peers[0].public_key", "44-character base64")]
    [InlineData(P + ", \"endpoint\": \"h:1\", \"name\": \"tab\\there\"", "peers[0].name", "printable ASCII")]
    [InlineData(P + ", \"endpoint\": \"h:1\", \"allowed_src\": []", "peers[0].allowed_src", "at least one CIDR")]
    [InlineData(P + ", \"endpoint\": \"h:1\", \"allowed_src\": [\"198.18.0.0/24\", \"x\"]", "peers[0].allowed_src[1]", "is not a CIDR")]
    [InlineData(P + ", \"endpoint\": \"h:1\", \"local_tun_ip\": \"198.18.0.9/32\"", "peers[0].local_tun_ip", "belongs in the top level")]
    [InlineData(P + ", \"endpoint\": \"h:1\", \"endpiont\": \"x\"", "peers[0].endpiont", "did you mean 'endpoint'?")]
    [InlineData("\"id\": 1, \"endpoint\": \"h:1\"", "peers[0].psk", "required")]
    [InlineData("\"psk\": \"" + ConfigJson.Psk1 + "\", \"endpoint\": \"h:1\"", "peers[0].id", "required")]
    public void LoadJson_BadPeerValue_NamesKeyPath(string peerBody, string path, string message)
    {
        string json = $$"""
        { "role": "spoke", "virtual_subnet": "198.18.0.0/24", "local_id": 2, "local_tun_ip": "198.18.0.2/24",
          "peers": [ { {{peerBody}} } ] }
        """;
        AssertError(Load(json), path, message);
    }

    [Fact]
    public void LoadJson_PeerNotObject_IsError() =>
        AssertError(Load(ConfigJson.Spoke().Replace("\"peers\": [", "\"peers\": [ \"x\",")), "peers[0]", "expected an object");

    [Fact]
    public void LoadJson_HubPeerWithoutAllowedSrc_IsError()
    {
        var r = Load(ConfigJson.Hub().Replace("\"allowed_src\": \"198.18.0.2/32\", ", ""));
        AssertError(r, "peers[0].allowed_src", "required on a hub");
    }

    [Fact]
    public void LoadJson_HubAllowedSrcOverlap_IsError()
    {
        var r = Load(ConfigJson.Hub().Replace("198.18.1.0/24", "198.18.0.0/25"));
        AssertError(r, "peers[1].allowed_src[1]", "overlaps peers[0].allowed_src (198.18.0.2/32)");
    }

    [Fact]
    public void LoadJson_HubAllowedSrcDefaultRoute_IsError()
    {
        var r = Load(ConfigJson.Hub().Replace("198.18.0.2/32", "0.0.0.0/0"));
        AssertError(r, "peers[0].allowed_src", "too broad on a hub");
    }

    [Fact]
    public void LoadJson_DuplicatePsk_NamesBothPeers()
    {
        var r = Load(ConfigJson.Hub().Replace(ConfigJson.Psk2, ConfigJson.Psk1));
        AssertError(r, "peers[1].psk", "duplicate of peers[0].psk");
    }

    [Fact]
    public void LoadJson_ZeroPsk_IsError()
    {
        var r = Load(ConfigJson.Spoke().Replace(ConfigJson.Psk1, new string('0', 64)));
        AssertError(r, "peers[0].psk", "all zeros");
    }

    [Fact]
    public void LoadJson_SpokeWithTwoPeers_IsError()
    {
        string json = $$"""
        { "role": "spoke", "virtual_subnet": "198.18.0.0/24", "local_id": 2, "local_tun_ip": "198.18.0.2/24",
          "peers": [ { "id": 1, "endpoint": "198.19.0.1:51820", "psk": "{{ConfigJson.Psk1}}" },
                     { "id": 3, "endpoint": "198.19.0.3:51820", "psk": "{{ConfigJson.Psk2}}" } ] }
        """;
        AssertError(Load(json), "peers", "exactly one peer");
    }

    [Fact]
    public void LoadJson_PeerIdEqualsLocalId_IsError()
    {
        var r = Load(ConfigJson.Spoke().Replace("\"id\": 1,", "\"id\": 2,"));
        AssertError(r, "peers[0].id", "equals local_id");
    }

    [Fact]
    public void LoadJson_ExplicitPeerKeyWithoutPrivateKey_IsError()
    {
        string pub = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        var r = Load(ConfigJson.Spoke(hubExtra: $", \"public_key\": \"{pub}\""));
        AssertError(r, "peers[0].public_key", "set private_key or private_key_file");
    }

    [Fact]
    public void LoadJson_ExplicitKeys_Accepted()
    {
        string pub = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        string priv = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray());
        var r = Load(ConfigJson.Spoke($"\"private_key\": \"{priv}\",", $", \"public_key\": \"{pub}\""));
        Assert.Empty(r.Errors);
        Assert.Equal(Enumerable.Repeat((byte)7, 32), r.Config!.PrivateKey!);
        Assert.True(r.Config.Peers[0].UsesExplicitIdentity);
    }

    [Fact]
    public void LoadJson_PrivateKeyFile_ReadRelativeToConfigAndTrimmed()
    {
        string dir = Directory.CreateTempSubdirectory("ovl-cfg").FullName;
        try
        {
            string priv = Convert.ToBase64String(Enumerable.Repeat((byte)5, 32).ToArray());
            File.WriteAllText(Path.Combine(dir, "node.key"), priv + "\n");
            File.SetUnixFileMode(Path.Combine(dir, "node.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            string pub = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
            var r = ConfigLoader.LoadJson(ConfigJson.Spoke("\"private_key_file\": \"node.key\",", $", \"public_key\": \"{pub}\""), "t.json", dir, Overlay.Os.Node.RegularFileReader.Instance);
            Assert.Empty(r.Errors);
            Assert.Empty(r.Warnings);
            Assert.Equal(Enumerable.Repeat((byte)5, 32), r.Config!.PrivateKey!);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void LoadJson_PrivateKeyAndFile_IsError()
    {
        string priv = Convert.ToBase64String(Enumerable.Repeat((byte)5, 32).ToArray());
        var r = Load(ConfigJson.Spoke($"\"private_key\": \"{priv}\", \"private_key_file\": \"k\","));
        AssertError(r, "private_key_file", "cannot be combined with private_key");
    }

    [Fact]
    public void LoadJson_Ipv6InnerWithSmallMtu_IsError()
    {
        var r = Load(ConfigJson.Spoke("\"local_tun_mtu\": 1200, \"remote_routes\": [\"fd00:198::/64\"],"));
        AssertError(r, "local_tun_mtu", "at least 1280");
    }

    [Fact]
    public void LoadJson_Ipv6Everywhere_Accepted()
    {
        string json = $$"""
        { "role": "spoke", "virtual_subnet": "fd00:5::/64", "local_id": 2, "local_tun_ip": "fd00:5::2/64",
          "peers": [ { "id": 1, "endpoint": "[2001:db8::1]:51820", "psk": "{{ConfigJson.Psk1}}" } ] }
        """;
        var r = Load(json);
        Assert.Empty(r.Errors);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), r.Config!.Peers[0].Endpoint!.Address);
        Assert.Equal("[2001:db8::1]:51820", r.Config.Peers[0].Endpoint!.ToString());
    }

    [Fact]
    public void LoadJson_HostBitsInRoute_WarnsAndMasks()
    {
        var r = Load(ConfigJson.Spoke("\"remote_routes\": [\"198.18.0.9/24\"],"));
        Assert.Empty(r.Errors);
        Assert.Equal(IPNetwork.Parse("198.18.0.0/24"), r.Config!.RemoteRoutes[0]);
        Assert.Contains(r.Warnings, w => w.Contains("remote_routes[0]: 198.18.0.9/24 has host bits set; using 198.18.0.0/24"));
    }

    /// <summary>Subnetra compatibility (review): listen_ports wins over listen_port, with a warning, as in Subnetra.</summary>
    [Fact]
    public void LoadJson_ListenPortAndListenPorts_ListenPortsWinsWithWarning()
    {
        var r = Load(ConfigJson.Spoke("\"listen_port\": 1, \"listen_ports\": [2, 3],"));
        Assert.Empty(r.Errors);
        Assert.Equal(new ushort[] { 2, 3 }, r.Config!.EffectiveListenPorts);
        Assert.Contains(r.Warnings, w => w.Contains("listen_port: ignored because listen_ports is set"));
    }

    /// <summary>Regression (review): a spoke allowed to send from the hub's own address could impersonate the hub.</summary>
    [Fact]
    public void LoadJson_HubPeerAllowedSrcCoversHubAddress_Refused()
    {
        var r = Load(ConfigJson.Hub().Replace("\"allowed_src\": \"198.18.0.2/32\"", "\"allowed_src\": \"198.18.0.0/31\""));
        AssertError(r, "peers[0].allowed_src", "contains the hub's own local_tun_ip 198.18.0.1");
    }

    [Fact]
    public void LoadJson_ObfuscateFalse_Warns()
    {
        var r = Load(ConfigJson.Spoke("\"obfuscate\": false,"));
        Assert.Empty(r.Errors);
        Assert.Contains(r.Warnings, w => w.Contains("obfuscate: false has no effect"));
    }

    [Fact]
    public void LoadJson_MissingRequired_ListsEach()
    {
        var r = Load("{ }");
        AssertError(r, "role", "required");
        AssertError(r, "virtual_subnet", "required");
        AssertError(r, "local_id", "required");
        AssertError(r, "peers", "required");
    }

    [Fact]
    public void LoadJson_SyntaxError_ReportsLineAndColumn()
    {
        var r = Load("{\n  \"role\": \"hub\",\n  \"local_id\": ,\n}");
        var e = Assert.Single(r.Errors);
        Assert.Equal("", e.Path);
        Assert.Contains("invalid JSON: line 3, column", e.Message);
        Assert.StartsWith("test.json: invalid JSON", e.ToString());
    }

    [Theory]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("link-to-fifo", "which is a FIFO (named pipe), not a regular file")]
    [InlineData("link-to-zero", "which is a character device, not a regular file")]
    public void LoadFile_SpecialFile_OneErrorNamingFileAndFix(string kind, string problem)
    {
        using var files = new Overlay.Tests.Fakes.SpecialFiles();
        string path = kind switch
        {
            "fifo" => files.Fifo("config.json"),
            "link-to-fifo" => files.SymlinkTo(files.Fifo(), "config.json"),
            "link-to-zero" => files.SymlinkTo("/dev/zero", "config.json"),
            _ => kind,
        };
        var r = Overlay.Tests.Fakes.SpecialFiles.WithinTenSeconds(() => ConfigLoader.LoadFile(path, Overlay.Os.Node.RegularFileReader.Instance));
        var e = Assert.Single(r.Errors);
        Assert.Equal(path, e.File);
        Assert.Equal("", e.Path);
        Assert.Contains(problem, e.Message);
        Assert.EndsWith("point --config or SUBNETRA_CONFIG at the JSON config file itself", e.Message);
    }

    [Fact]
    public void LoadFile_OverLimit_RefusedNamingLimit()
    {
        using var files = new Overlay.Tests.Fakes.SpecialFiles();
        string path = Path.Combine(files.Directory, "huge.json");
        using (var f = File.Create(path)) f.SetLength(ConfigLoader.MaxFileBytes + 1);
        var e = Assert.Single(ConfigLoader.LoadFile(path, Overlay.Os.Node.RegularFileReader.Instance).Errors);
        Assert.StartsWith("config file is 16777217 bytes or more; the limit is 16777216 bytes", e.Message);
    }

    [Fact]
    public void MaxFileBytes_FitsAHundredThousandLinkHub()
    {
        // One PSK link as the docs write it: about 140 bytes with indentation.
        string link = "    { \"id\": 100000, \"name\": \"spoke-100000\", \"psk\": \"" + new string('a', 64) + "\" },\n";
        Assert.True(100_000L * link.Length + 4096 < ConfigLoader.MaxFileBytes, $"{link.Length} bytes per link");
    }

    [Theory]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("link-to-zero", "which is a character device, not a regular file")]
    public void LoadJson_PrivateKeyFileSpecial_ErrorAtKeyPath(string kind, string problem)
    {
        using var files = new Overlay.Tests.Fakes.SpecialFiles();
        string keyPath = kind switch
        {
            "fifo" => files.Fifo("node.key"),
            "link-to-zero" => files.SymlinkTo("/dev/zero", "node.key"),
            _ => kind,
        };
        string pub = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        string json = ConfigJson.Spoke($"\"private_key_file\": \"{keyPath}\",", $", \"public_key\": \"{pub}\"");
        var r = Overlay.Tests.Fakes.SpecialFiles.WithinTenSeconds(() => ConfigLoader.LoadJson(json, "t.json", files.Directory, Overlay.Os.Node.RegularFileReader.Instance));
        var e = Assert.Single(r.Errors);
        Assert.Equal("private_key_file", e.Path);
        Assert.StartsWith(keyPath + " ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("point private_key_file at a file holding the key", e.Message);
    }

    [Fact]
    public void LoadJson_PrivateKeyFileWithoutReader_IsError()
    {
        string pub = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        var r = ConfigLoader.LoadJson(ConfigJson.Spoke("\"private_key_file\": \"/k\",", $", \"public_key\": \"{pub}\""), "t.json", "/");
        Assert.Equal("private_key_file", Assert.Single(r.Errors).Path);
    }

    [Theory]
    [InlineData("\"tun_name\": \"snr\\ud800\",", "tun_name")]
    [InlineData("\"tun_name\": \"\\udfff\",", "tun_name")]
    public void LoadJson_LoneSurrogateValue_ErrorAtKeyPath(string extra, string path)
    {
        var r = Load(ConfigJson.Spoke(extra));
        var e = Assert.Single(r.Errors);
        Assert.Equal(path, e.Path);
        Assert.Equal($"test.json: {path}: is not valid Unicode text: it holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair); remove or fix the escape", e.ToString());
    }

    [Fact]
    public void LoadJson_LoneSurrogateInPeerValue_NamesPeerPath()
    {
        var r = Load(ConfigJson.Spoke().Replace("\"name\": \"hub\"", "\"name\": \"hub\\ud800\"", StringComparison.Ordinal));
        Assert.Equal("peers[0].name", Assert.Single(r.Errors).Path);
    }

    [Fact]
    public void LoadJson_SurrogatePair_IsValidTextAndReachesTheValidator()
    {
        var r = Load(ConfigJson.Spoke().Replace("\"name\": \"hub\"", "\"name\": \"hub \\ud83d\\ude00\"", StringComparison.Ordinal));
        // A paired escape is a real character (U+1F600); names are ASCII-only, so the validator refuses it.
        Assert.Equal("test.json: peers[0].name: only printable ASCII (0x20..0x7E) is allowed", Assert.Single(r.Errors).ToString());
    }

    [Fact]
    public void LoadFile_Missing_SaysNotFound()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ovl-missing-{Guid.NewGuid():N}.json");
        var r = ConfigLoader.LoadFile(path, Overlay.Os.Node.RegularFileReader.Instance);
        Assert.Equal($"{path}: config file not found", Assert.Single(r.Errors).ToString());
    }

    [Fact]
    public void LoadFile_ValidFile_RecordsFullPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ovl-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, ConfigJson.Hub());
        try
        {
            var r = ConfigLoader.LoadFile(path, Overlay.Os.Node.RegularFileReader.Instance);
            Assert.Empty(r.Errors);
            Assert.Equal(path, r.Config!.SourcePath);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ResolvePath_Order_CliThenEnvThenCwdThenEtc()
    {
        string dir = Directory.CreateTempSubdirectory("ovl-cwd").FullName;
        try
        {
            Func<string, string?> env = n => n == "SUBNETRA_CONFIG" ? "env.json" : null;
            Func<string, string?> noEnv = _ => null;
            Assert.Equal(new ConfigPathResolution(Path.Combine(dir, "cli.json"), ConfigPathSource.CommandLine), ConfigLoader.ResolvePath("cli.json", env, dir));
            Assert.Equal(new ConfigPathResolution(Path.Combine(dir, "env.json"), ConfigPathSource.Environment), ConfigLoader.ResolvePath(null, env, dir));
            Assert.Equal(new ConfigPathResolution("/etc/subnetra/config.json", ConfigPathSource.SystemDefault), ConfigLoader.ResolvePath(null, noEnv, dir));
            File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
            Assert.Equal(new ConfigPathResolution(Path.Combine(dir, "config.json"), ConfigPathSource.WorkingDirectory), ConfigLoader.ResolvePath(null, noEnv, dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("peers:1:psk", "peers[1].psk")]
    [InlineData("role", "role")]
    [InlineData("peers:0:allowed_src:2", "peers[0].allowed_src[2]")]
    public void FormatKeyPath_ConfigurationPath_JsonForm(string input, string expected) =>
        Assert.Equal(expected, ConfigLoader.FormatKeyPath(input));

    [Theory]
    [InlineData("listen_prot", "listen_port")]
    [InlineData("keepalive", "keepalive_secs")]
    [InlineData("virtualsubnet", "virtual_subnet")]
    [InlineData("zzzzzz", null)]
    public void Suggest_Typo_NearestKnownKey(string typo, string? expected) =>
        Assert.Equal(expected, ConfigValidator.Suggest(typo, ["role", "listen_port", "listen_ports", "keepalive_secs", "virtual_subnet"]));
}
