using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests;

/// <summary>The RESP store against a Redis Cluster that speaks only mutual TLS (clients and cluster bus).</summary>
[RequiresRespEngine(RespEngine.Redis)]
public sealed class RespStateStoreTlsTests() : RespTlsTests(RespEngine.Redis);

/// <summary>The RESP store against a Garnet cluster that speaks only mutual TLS (clients and the nodes' gossip).</summary>
[RequiresRespEngine(RespEngine.Garnet)]
public sealed class GarnetStateStoreTlsTests() : RespTlsTests(RespEngine.Garnet);

public abstract class RespTlsTests(RespEngine engine)
{
    [Fact]
    public async Task PutAndGet_MutualTlsCluster_ServedOnlyWithTrustedAuthorityAndClientCertificate()
    {
        using var pki = new TestPki();
        var (certificate, key) = pki.Issue(engine.ToString().ToLowerInvariant());
        await using var cluster = await RespCluster.StartAsync(engine, tls: new RespTls(pki.CaFile, certificate, key));
        var (clientCertificate, clientKey) = pki.Issue("inference");

        var options = RespTestOptions.For(cluster);
        options.Tls = true;
        options.Security = new() { CaFile = pki.CaFile, CertificateFile = clientCertificate, KeyFile = clientKey };
        await using (var store = await RespStateStore.ConnectAsync(options))
        {
            Assert.Equal(StoreStatus.Ok, (await store.PutAsync(TestStates.Make(1, 4))).Status);
            Assert.Equal(4, TestStates.CounterOf((await store.GetAsync(new StateKey(TestStates.Model, 1))).State!));
        }

        using var otherPki = new TestPki("other-ca");
        var untrusting = RespTestOptions.For(cluster);
        untrusting.Tls = true;
        untrusting.ConnectTimeout = untrusting.CallTimeout = TimeSpan.FromSeconds(2);
        untrusting.Security = new() { CaFile = otherPki.CaFile, CertificateFile = clientCertificate, KeyFile = clientKey };
        await using (var store = await RespStateStore.ConnectAsync(untrusting))
            Assert.Equal(StoreStatus.Unavailable, (await store.GetAsync(new StateKey(TestStates.Model, 1))).Status);

        var anonymous = RespTestOptions.For(cluster);
        anonymous.Tls = true;
        anonymous.ConnectTimeout = anonymous.CallTimeout = TimeSpan.FromSeconds(2);
        anonymous.Security = new() { CaFile = pki.CaFile };
        await using (var store = await RespStateStore.ConnectAsync(anonymous))
            Assert.Equal(StoreStatus.Unavailable, (await store.GetAsync(new StateKey(TestStates.Model, 1))).Status);
    }
}
