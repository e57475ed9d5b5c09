namespace Overlay.Os.Plan;

public static partial class NetworkPlan
{
    private static partial PlanOs GetBuildOs() => PlanOs.MacOS;
}
