using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>Every test of the class (inherited ones included) needs <see cref="Engine"/>'s programs; where they are
/// missing, <see cref="SkippingTestFramework"/> reports each test Skipped with what to install.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequiresRespEngineAttribute(RespEngine engine) : Attribute
{
    public RespEngine Engine { get; } = engine;
}
