namespace HierTcn.Fleet.Tests.Support;

/// <summary>The secure fleet, for the test classes that use it.</summary>
[CollectionDefinition(Name)]
public sealed class SecureLocalFleetCollection : ICollectionFixture<SecureLocalFleet>
{
    public const string Name = "secure local fleet";
}
