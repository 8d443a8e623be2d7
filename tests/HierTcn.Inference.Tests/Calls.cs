using HierTcn.Inference.V1;

namespace HierTcn.Inference.Tests;

/// <summary>Short helpers for building calls in tests.</summary>
internal static class Calls
{
    public const long T0 = ServedModelFixture.FirstTimestamp + 100L * 24 * 3_600_000;

    public static Event Ev(long user, long item, long ts, string id, string version = "") =>
        new() { UserId = user, ItemId = item, TimestampMs = ts, EventId = id, ModelVersion = version };

    public static ObserveEventsRequest Batch(params Event[] events)
    {
        var r = new ObserveEventsRequest();
        r.Events.Add(events);
        return r;
    }

    public static async Task<float[]> EmbeddingAsync(this Recommender.RecommenderClient client, long user, long ts, string version = "")
    {
        var r = await client.GetUserEmbeddingAsync(new GetUserEmbeddingRequest { UserId = user, TimestampMs = ts, ModelVersion = version });
        return [.. r.Embedding];
    }

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(p => MathF.Abs(p.First - p.Second));
    }
}
