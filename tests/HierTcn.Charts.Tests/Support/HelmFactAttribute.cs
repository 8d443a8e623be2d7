namespace HierTcn.Charts.Tests.Support;

/// <summary>A fact that needs helm; reported as skipped, with get-helm.sh's reason, where helm cannot be had.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HelmFactAttribute : FactAttribute
{
    public HelmFactAttribute()
    {
        if (Helm.Missing is { } why)
            Skip = why;
    }
}
