using HierTcn.Tests.Shared;

namespace HierTcn.Inference.Tests;

/// <summary>A fact that starts a cluster of <c>engine</c> (Debian redis-server and redis-tools; Garnet from
/// state-store/tools/get-garnet.sh); skipped, visibly, with what to install where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RespEngineFactAttribute : FactAttribute
{
    public RespEngineFactAttribute(RespEngine engine)
    {
        if (RespTools.MissingReason(engine) is { } missing)
            Skip = missing;
    }
}
