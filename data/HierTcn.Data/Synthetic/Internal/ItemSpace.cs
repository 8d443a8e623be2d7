using System.Numerics.Tensors;

namespace HierTcn.Data.Synthetic.Internal;

/// <summary>Topic centres and item features. Topic t's centre leans toward topic t-1's, so neighbouring topics are
/// similar and a drift to a neighbour is a small move. Item i is in topic i mod T. With new items, the highest ids are
/// published over time, in id order, so the items out at any time are the ids below a bound.</summary>
internal sealed class ItemSpace
{
    private const double ItemSpread = 0.45;
    private const double BiasScale = 0.25;
    private const double DayMs = 86_400_000;

    public ItemSpace(SyntheticOptions o)
    {
        Dim = o.Dim;
        Topics = o.Topics;
        var rng = new Xoshiro256(o.Seed ^ 0x6974656D73UL);
        Centres = new float[Topics * Dim];
        for (int t = 0; t < Topics; t++)
        {
            var c = Centre(t);
            for (int j = 0; j < Dim; j++)
            {
                c[j] = (float)rng.NextGaussian();
            }
            if (t > 0)
            {
                Normalize(c);
                TensorPrimitives.MultiplyAdd(Centre(t - 1), 0.6f, c, c);
            }
            Normalize(c);
        }
        Features = new float[(long)o.Items * Dim];
        Bias = new float[o.Items];
        float noise = (float)(ItemSpread / Math.Sqrt(Dim));
        for (int i = 0; i < o.Items; i++)
        {
            var x = Feature(i);
            Centre(i % Topics).CopyTo(x);
            for (int j = 0; j < Dim; j++)
            {
                x[j] += noise * (float)rng.NextGaussian();
            }
            Normalize(x);
            Bias[i] = (float)(BiasScale * rng.NextGaussian());
        }
        StartItems = o.StartItems;
        Published = new long[o.Items];
        int newItems = o.Items - StartItems;
        double first = o.StartTimeMs + SyntheticOptions.NewItemsFirstDay * DayMs;
        double span = (SyntheticOptions.NewItemsLastDay - SyntheticOptions.NewItemsFirstDay) * DayMs;
        for (int i = 0; i < o.Items; i++)
        {
            // Evenly spread, rising with the id: the items out at a time are the ids below a bound.
            Published[i] = i < StartItems ? o.StartTimeMs : (long)(first + span * (i - StartItems + 0.5) / newItems);
        }
        FreshMs = (long)(o.FreshDays * DayMs);
    }

    public int Dim { get; }
    public int Topics { get; }
    public float[] Centres { get; }
    public float[] Features { get; }
    public float[] Bias { get; }

    /// <summary>Items that exist from the start (ids below this); the others are published over time.</summary>
    public int StartItems { get; }

    /// <summary>Publication time of each item, ms: the start time for the first <see cref="StartItems"/>, then
    /// non-decreasing with the id.</summary>
    public long[] Published { get; }

    /// <summary>How long an item counts as fresh after its publication.</summary>
    public long FreshMs { get; }

    /// <summary>Items published at or before <paramref name="timeMs"/>: they are the ids below the returned bound.</summary>
    public int PublishedBy(long timeMs)
    {
        if (StartItems == Published.Length || timeMs < Published[StartItems])
        {
            return StartItems;
        }
        // The last new item published by then, by binary search over the new items' rising times.
        int lo = StartItems, hi = Published.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Published[mid] <= timeMs)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Items of <paramref name="topic"/> among the ids below <paramref name="bound"/>.</summary>
    public int InTopicBelow(int topic, int bound) => Math.Max(0, (bound - topic + Topics - 1) / Topics);

    public Span<float> Centre(int topic) => Centres.AsSpan(topic * Dim, Dim);

    public Span<float> Feature(int item) => Features.AsSpan((int)((long)item * Dim), Dim);

    /// <summary>A uniform item of <paramref name="topic"/> among the ids below <paramref name="bound"/> (the items out
    /// by then, <see cref="PublishedBy"/>); the topic must have one there.</summary>
    public int RandomItemOfTopic(int topic, int bound, ref Xoshiro256 rng) => topic + rng.NextInt(InTopicBelow(topic, bound)) * Topics;

    /// <summary>A uniform item of <paramref name="topic"/> with an id in [<paramref name="lo"/>, <paramref name="hi"/>);
    /// the topic must have one there.</summary>
    public int RandomItemOfTopic(int topic, int lo, int hi, ref Xoshiro256 rng)
    {
        int first = InTopicBelow(topic, lo);
        return topic + (first + rng.NextInt(InTopicBelow(topic, hi) - first)) * Topics;
    }

    public static void Normalize(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0)
        {
            TensorPrimitives.Divide(v, norm, v);
        }
    }
}
