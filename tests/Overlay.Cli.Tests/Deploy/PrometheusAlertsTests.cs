using System.Text.RegularExpressions;

namespace Overlay.Cli.Tests.Deploy;

public sealed class PrometheusAlertsTests
{
    /// <summary>An alert on a metric name we do not export would never fire: every name must be in the golden exposition.</summary>
    [Fact]
    public void Alerts_EveryMetricName_IsExported()
    {
        string alerts = File.ReadAllText(RepoFiles.PathOf("deploy/prometheus/subnetra-alerts.yml"));
        string exported = File.ReadAllText(Path.Combine(Harness.Golden, "metrics.prom"));
        var names = Regex.Matches(alerts, @"\bsubnetra_[a-z_]+\b").Select(m => m.Value).Where(n => n != "subnetra_up").Distinct().ToList();
        Assert.NotEmpty(names);
        foreach (string name in names) Assert.Contains($"# TYPE {name} ", exported);
        foreach (Match m in Regex.Matches(alerts, @"reason(?:=~|=)""([^""]+)"""))
        {
            foreach (string reason in m.Groups[1].Value.Split('|')) Assert.Contains($"subnetra_drops_total{{reason=\"{reason}\"}}", exported);
        }
    }
}
