using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace HierTcn.StateStore.Tests;

/// <summary>A shard whose files are damaged beyond loss-free recovery stays up and says so: health NOT_SERVING, every
/// call FAILED_PRECONDITION with the reason and the repair command, a metric; the repair command brings it back.</summary>
public sealed class ServerDamageTests
{
    [Fact]
    public async Task Server_StoreLogDamagedBeyondRecovery_StaysUpNotServingAndNamesTheRepair()
    {
        using var dir = new TempDirectory();
        var engine = await StateStoreEngine.OpenAsync(TestStates.SmallOptions(dir.Path));
        for (int round = 1; round <= 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 400).Select(u => engine.PutAsync(TestStates.Make(u, round)).AsTask()));
            Assert.True(await engine.CheckpointAsync());
        }
        await engine.AbandonAsync();
        FileDamage.RandomBytes(Path.Combine(dir.Path, "hlog", "hlog.log.0"), 20_000, 4096);

        await using (var shard = await InProcessShard.StartAsync(dir.Path))
        {
            using var channel = GrpcChannel.ForAddress(shard.Address);
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);

            var client = new Protocol.StateStore.StateStoreClient(channel);
            var get = await Assert.ThrowsAsync<RpcException>(async () => await client.GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 1 } }));
            Assert.Equal(StatusCode.FailedPrecondition, get.StatusCode);
            Assert.Contains("repair --data", get.Status.Detail);
            var put = await Assert.ThrowsAsync<RpcException>(async () => await client.PutAsync(new PutRequest { State = ByteString.CopyFrom(UserStateSerializer.Serialize(TestStates.Make(1, 9))) }));
            Assert.Equal(StatusCode.FailedPrecondition, put.StatusCode);

            using var text = new MemoryStream();
            await shard.Services.GetRequiredService<CollectorRegistry>().CollectAndExportAsTextAsync(text);
            Assert.Contains("hiertcn_statestore_refusing_to_serve 1", System.Text.Encoding.UTF8.GetString(text.ToArray()));
        }

        await StateStoreEngine.RepairAsync(TestStates.SmallOptions(dir.Path));
        await using (var repaired = await InProcessShard.StartAsync(dir.Path))
        {
            using var channel = GrpcChannel.ForAddress(repaired.Address);
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
            var get = await new Protocol.StateStore.StateStoreClient(channel).GetAsync(new GetRequest { Key = new Key { ModelVersion = TestStates.Model, UserId = 399 } });
            Assert.Equal(Protocol.Status.Ok, get.Status);
        }
    }
}
