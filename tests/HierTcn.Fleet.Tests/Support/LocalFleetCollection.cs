namespace HierTcn.Fleet.Tests.Support;

/// <summary>One fleet for every test class that uses it; the classes run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class LocalFleetCollection : ICollectionFixture<LocalFleet>
{
    public const string Name = "local fleet";
}
