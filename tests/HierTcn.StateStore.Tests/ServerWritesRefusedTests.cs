using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

public sealed class ServerWritesRefusedTests
{
    [Fact]
    public async Task Server_DiskQuotaExceeded_RefusesWritesServesReadsStaysServing()
    {
        using var dir = new TempDirectory();
        await using var shard = await InProcessShard.StartAsync(dir.Path, "--StateStore:MaxDiskBytes=1");
        using var channel = GrpcChannel.ForAddress(shard.Address);
        var client = new Protocol.StateStore.StateStoreClient(channel);

        var put = await client.PutAsync(new PutRequest { State = ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(1, 1))) });
        Assert.Equal(Protocol.Status.WritesRefused, put.Status);
        Assert.Contains("disk quota reached", put.Error);
        var get = await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 1 } });
        Assert.Equal(Protocol.Status.NotFound, get.Status);
        // Degraded, not down: reads are still served, so the shard stays in rotation.
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }
}
