namespace HierTcn.Inference.Tests;

/// <summary>A fact that needs Prometheus's promtool (Debian package prometheus, .ci/packages.txt); skipped, visibly,
/// where it is not on the PATH.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (RepoPaths.Tool("promtool") is null)
            Skip = "promtool not found on PATH (install Debian package prometheus, listed in .ci/packages.txt)";
    }
}
