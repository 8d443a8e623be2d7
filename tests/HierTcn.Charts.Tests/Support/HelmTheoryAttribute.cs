namespace HierTcn.Charts.Tests.Support;

/// <summary>A theory that needs helm; reported as skipped, with get-helm.sh's reason, where helm cannot be had.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HelmTheoryAttribute : TheoryAttribute
{
    public HelmTheoryAttribute()
    {
        if (Helm.Missing is { } why)
            Skip = why;
    }
}
