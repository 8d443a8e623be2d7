using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using HierTcn.Inference.V1;
using HierTcn.Tests.Shared;
using Xunit.Abstractions;
using static HierTcn.Inference.Tests.Calls;

namespace HierTcn.Inference.Tests;

/// <summary>Seeded fuzzing (issue 14): malformed and truncated protobuf bodies on every method, then malformed raw
/// HTTP/2 on a TCP connection. The server stays healthy, and every user an accepted write touched has a state that
/// reads back (a finite embedding).</summary>
[Collection(ServedModelCollection.Name)]
public sealed class FuzzTests(ServedModelFixture model, ITestOutputHelper output)
{
    private const string Service = "hiertcn.inference.v1.Recommender";

    [Fact]
    public async Task Fuzz_MalformedMessagesAndRawFrames_HealthyAndEveryAcceptedWriteWhole()
    {
        await using var server = await TestServer.StartAsync(model);
        var random = new Random(14_2027);
        var invoker = server.Channel.CreateCallInvoker();
        var touched = new Dictionary<long, long>();
        var codes = new Dictionary<StatusCode, int>();
        var end = DateTime.UtcNow.AddSeconds(60);
        for (int i = 0; i < 500 && DateTime.UtcNow < end; i++)
        {
            long user = 800 + i % 30;
            long ts = T0 + i * 1000L;
            var (method, valid) = (i % 5) switch
            {
                0 => ("Recommend", new RecommendRequest { UserId = user, K = 5, TimestampMs = ts, RequestId = "f" }.ToByteArray()),
                1 => ("ObserveEvents", Batch(Ev(user, model.Data.ItemIds[i % 7], ts, $"f{i}"), Ev(user + 1, model.Data.ItemIds[3], ts, $"g{i}")).ToByteArray()),
                2 => ("EndSession", new EndSessionRequest { UserId = user }.ToByteArray()),
                3 => ("GetUserEmbedding", new GetUserEmbeddingRequest { UserId = user, TimestampMs = ts }.ToByteArray()),
                _ => ("Backfill", Backfill(user)),
            };
            byte[] body = Fuzz.Mutate(random, valid);
            var code = StatusCode.OK;
            try
            {
                byte[] reply = await invoker.AsyncUnaryCall(Fuzz.Unary(Service, method), null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), body);
                if (method == "ObserveEvents" && ObserveEventsResponse.Parser.ParseFrom(reply).Applied > 0)
                {
                    foreach (var e in ObserveEventsRequest.Parser.ParseFrom(body).Events)
                        touched[e.UserId] = Math.Max(touched.GetValueOrDefault(e.UserId), e.TimestampMs);
                }
            }
            catch (RpcException e)
            {
                code = e.StatusCode;
                // Bytes that are not a message and messages with bad values are both the caller's fault.
                Assert.True(e.StatusCode == StatusCode.InvalidArgument, $"{method}: {e.StatusCode} {e.Status.Detail}");
            }
            codes[code] = codes.GetValueOrDefault(code) + 1;
        }
        await Fuzz.RawHttp2Async(server.Port, seed: 8, connections: 150, budget: TimeSpan.FromSeconds(60));
        output.WriteLine(string.Join(", ", codes.Select(c => $"{c.Key} {c.Value}")) + $"; {touched.Count} users written");

        var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.True(codes.GetValueOrDefault(StatusCode.OK) > 0 && codes.Count > 1 && touched.Count > 0, "the run accepted nothing or refused nothing");
        foreach (var (user, last) in touched)
        {
            var embedding = await server.Client.EmbeddingAsync(user, last + 1);
            Assert.NotEmpty(embedding);
            Assert.All(embedding, v => Assert.True(float.IsFinite(v), $"user {user}: non-finite embedding"));
        }
    }

    private static byte[] Backfill(long user)
    {
        var request = new BackfillRequest { SourceVersion = "v1", TargetVersion = "v1" };
        request.UserIds.Add(user);
        return request.ToByteArray();
    }
}
