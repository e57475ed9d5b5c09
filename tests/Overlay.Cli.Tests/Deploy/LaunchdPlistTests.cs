using System.Globalization;
using System.Xml;

namespace Overlay.Cli.Tests.Deploy;

/// <summary>
/// deploy/launchd/net.subnetra.subnetrad.plist read as launchd reads it: an XML property list
/// (Apple's PropertyList-1.0 DTD: a plist root holding one value; a dict is strictly
/// alternating key/value children with unique keys) and the keys launchd.plist(5) defines.
/// The arguments it passes are run through subnetrad --check so a renamed option fails here.
/// </summary>
public sealed class LaunchdPlistTests
{
    private const string FileName = "net.subnetra.subnetrad.plist";

    /// <summary>Every key launchd.plist(5) documents that this file may use (a typo is an error, not ignored).</summary>
    private static readonly HashSet<string> KnownKeys =
    [
        "Label", "Program", "ProgramArguments", "RunAtLoad", "KeepAlive", "ThrottleInterval",
        "EnvironmentVariables", "StandardOutPath", "StandardErrorPath", "StandardInPath",
        "UserName", "GroupName", "WorkingDirectory", "ExitTimeOut", "ProcessType", "Umask",
    ];

    private static string PlistPath => Path.Combine(Harness.SourceDirectory(), "..", "..", "deploy", "launchd", FileName);

    private static Dictionary<string, object> Load()
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, IgnoreComments = true, IgnoreWhitespace = true };
        using var reader = XmlReader.Create(PlistPath, settings);
        var doc = new XmlDocument { XmlResolver = null };
        doc.Load(reader);
        return Assert.IsType<Dictionary<string, object>>(ReadPlist(doc));
    }

    /// <summary>The plist's single top-level value, checked against the DTD's structure.</summary>
    internal static object ReadPlist(XmlDocument doc)
    {
        XmlElement root = doc.DocumentElement ?? throw new XmlException("empty document");
        if (root.Name != "plist") throw new XmlException($"root element is <{root.Name}>, expected <plist>");
        if (root.GetAttribute("version") != "1.0") throw new XmlException("plist version must be 1.0");
        var values = root.ChildNodes.OfType<XmlElement>().ToList();
        if (values.Count != 1) throw new XmlException($"<plist> holds {values.Count} values, expected 1");
        return ReadValue(values[0]);
    }

    private static object ReadValue(XmlElement e) => e.Name switch
    {
        "dict" => ReadDict(e),
        "array" => e.ChildNodes.OfType<XmlElement>().Select(ReadValue).ToList(),
        "string" => e.InnerText,
        "integer" => long.Parse(e.InnerText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
        "true" when !e.HasChildNodes => true,
        "false" when !e.HasChildNodes => false,
        _ => throw new XmlException($"<{e.Name}> is not a plist value this file should use"),
    };

    private static Dictionary<string, object> ReadDict(XmlElement dict)
    {
        var children = dict.ChildNodes.OfType<XmlElement>().ToList();
        if (children.Count % 2 != 0) throw new XmlException("<dict> must alternate <key> and value");
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        for (int i = 0; i < children.Count; i += 2)
        {
            if (children[i].Name != "key") throw new XmlException($"<dict> child {i} is <{children[i].Name}>, expected <key>");
            string key = children[i].InnerText;
            if (!result.TryAdd(key, ReadValue(children[i + 1]))) throw new XmlException($"duplicate key '{key}'");
        }
        return result;
    }

    [Fact]
    public void Plist_Parses_WithAppleDoctypeAndOnlyKnownKeys()
    {
        string text = File.ReadAllText(PlistPath);
        Assert.Contains("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">", text);
        var plist = Load();
        Assert.DoesNotContain(plist.Keys, k => !KnownKeys.Contains(k));
    }

    [Fact]
    public void Label_MatchesFileName() =>
        Assert.Equal(Path.GetFileNameWithoutExtension(FileName), Load()["Label"]);

    [Fact]
    public void ProgramArguments_RunInstalledLauncherWithConfig()
    {
        var args = Assert.IsType<List<object>>(Load()["ProgramArguments"]).Cast<string>().ToList();
        Assert.Equal(["/usr/local/bin/subnetrad", "--config", "/usr/local/etc/subnetra/config.json"], args);
    }

    [Fact]
    public void ProgramArguments_AcceptedBySubnetradCheck()
    {
        var args = Assert.IsType<List<object>>(Load()["ProgramArguments"]).Cast<string>().Skip(1).ToList();
        int config = args.IndexOf("--config") + 1;
        Assert.True(config > 0, "the plist must name the config");
        args[config] = Path.Combine(Harness.Examples, "spoke-macos.json");
        var r = Harness.Daemon([.. args, "--check"]);
        Assert.True(r.Exit == 0, r.Err);
        Assert.StartsWith("config OK: ", r.Out);
    }

    [Fact]
    public void KeepAlive_RestartsOnlyAfterAbnormalExit()
    {
        var plist = Load();
        Assert.Equal(true, plist["RunAtLoad"]);
        var keepAlive = Assert.IsType<Dictionary<string, object>>(plist["KeepAlive"]);
        Assert.Equal(new Dictionary<string, object> { ["SuccessfulExit"] = false }, keepAlive);
    }

    [Fact]
    public void Logs_GoToVarLogSubnetrad()
    {
        var plist = Load();
        Assert.Equal("/var/log/subnetrad.log", plist["StandardOutPath"]);
        Assert.Equal("/var/log/subnetrad.log", plist["StandardErrorPath"]);
    }

    [Fact]
    public void RunsAsRoot_NoUserOrGroupOverride()
    {
        // LaunchDaemons run as root unless UserName/GroupName say otherwise; utun needs root.
        var plist = Load();
        Assert.False(plist.ContainsKey("UserName") && (string)plist["UserName"] != "root");
        Assert.False(plist.ContainsKey("GroupName") && (string)plist["GroupName"] != "wheel");
    }

    [Fact]
    public void Path_FindsDotnetWhereInstallersPutIt()
    {
        var env = Assert.IsType<Dictionary<string, object>>(Load()["EnvironmentVariables"]);
        string[] path = Assert.IsType<string>(env["PATH"]).Split(':');
        Assert.Contains("/usr/local/share/dotnet", path);
        Assert.Contains("/opt/homebrew/bin", path);
        Assert.Contains("/usr/sbin", path);
    }

    [Theory]
    [InlineData("<plist version=\"1.0\"><dict><key>A</key></dict></plist>", "alternate")]
    [InlineData("<plist version=\"1.0\"><dict><string>A</string><true/></dict></plist>", "expected <key>")]
    [InlineData("<plist version=\"1.0\"><dict><key>A</key><true/><key>A</key><false/></dict></plist>", "duplicate key 'A'")]
    [InlineData("<plist version=\"1.0\"><dict/><dict/></plist>", "holds 2 values")]
    [InlineData("<plist version=\"1.0\"><date>2025-01-01T00:00:00Z</date></plist>", "<date>")]
    [InlineData("<dict/>", "expected <plist>")]
    public void ReadPlist_MalformedStructure_Rejected(string xml, string message)
    {
        var doc = new XmlDocument { XmlResolver = null };
        doc.LoadXml(xml);
        var e = Assert.Throws<XmlException>(() => ReadPlist(doc));
        Assert.Contains(message, e.Message);
    }
}
