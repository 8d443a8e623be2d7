using System.Numerics.Tensors;

namespace HierTcn.Data.Synthetic.Internal;

/// <summary>Topic centres and item features. Topic t's centre leans toward topic t-1's, so neighbouring topics are
/// similar and a drift to a neighbour is a small move. Item i is in topic i mod T.</summary>
internal sealed class ItemSpace
{
    private const double ItemSpread = 0.45;
    private const double BiasScale = 0.25;

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
        TopicSize = new int[Topics];
        for (int t = 0; t < Topics; t++)
        {
            TopicSize[t] = (o.Items - t + Topics - 1) / Topics;
        }
    }

    public int Dim { get; }
    public int Topics { get; }
    public float[] Centres { get; }
    public float[] Features { get; }
    public float[] Bias { get; }
    /// <summary>Items in each topic (item = topic + k * Topics for k below this).</summary>
    public int[] TopicSize { get; }

    public Span<float> Centre(int topic) => Centres.AsSpan(topic * Dim, Dim);

    public Span<float> Feature(int item) => Features.AsSpan((int)((long)item * Dim), Dim);

    public int RandomItemOfTopic(int topic, ref Xoshiro256 rng) => topic + rng.NextInt(TopicSize[topic]) * Topics;

    public static void Normalize(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0)
        {
            TensorPrimitives.Divide(v, norm, v);
        }
    }
}
