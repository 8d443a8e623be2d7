namespace HierTcn.Fleet.Tests.Support;

/// <summary>The local fleet with TLS on every server (certificates the test makes), mutual TLS from inference to
/// the shards (the shards grant the inference certificate read and write), and bearer-token authorization on
/// inference.</summary>
public sealed class SecureLocalFleet : LocalFleet
{
    protected override bool Secure => true;
}
