using HierTcn.Exporter;

namespace HierTcn.Exporter.Tests;

/// <summary>Random weights under CONTRACT.md's names, for testing graphs without a trained run.</summary>
internal sealed class RandomWeights(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Dictionary<string, WeightTensor> _tensors = new(StringComparer.Ordinal);

    public float[] Values(int count, float scale)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)((_random.NextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    public RandomWeights Add(string name, params int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        int fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1, (a, b) => a * b) : shape[0];
        _tensors[name] = new WeightTensor(shape, Values(count, 1.5f / MathF.Sqrt(fanIn)));
        return this;
    }

    public RandomWeights Gru(string prefix, int layers, int input, int hidden)
    {
        for (int k = 0; k < layers; k++)
        {
            int inK = k == 0 ? input : hidden;
            Add($"{prefix}.layers.{k}.weight_ih", 3 * hidden, inK).Add($"{prefix}.layers.{k}.weight_hh", 3 * hidden, hidden);
            Add($"{prefix}.layers.{k}.bias_ih", 3 * hidden).Add($"{prefix}.layers.{k}.bias_hh", 3 * hidden);
        }
        return this;
    }

    public RandomWeights Tcn(int blocks, int input, int channels, int kernel)
    {
        for (int i = 0; i < blocks; i++)
        {
            int cin = i == 0 ? input : channels;
            Add($"tcn.blocks.{i}.conv1.weight", channels, cin, kernel).Add($"tcn.blocks.{i}.conv1.bias", channels);
            Add($"tcn.blocks.{i}.conv2.weight", channels, channels, kernel).Add($"tcn.blocks.{i}.conv2.bias", channels);
            if (cin != channels)
            {
                Add($"tcn.blocks.{i}.downsample.weight", channels, cin, 1).Add($"tcn.blocks.{i}.downsample.bias", channels);
            }
        }
        return this;
    }

    public ModelWeights Build() => new(new Dictionary<string, WeightTensor>(_tensors));

    /// <summary>Small random models of each type: d items dims, L x H state, C channels, kernel K, 4 blocks.</summary>
    public static ModelWeights For(string modelType, int seed, int d = 16, int layers = 2, int hidden = 8, int channels = 12, int kernel = 3, int blocks = 4)
    {
        var r = new RandomWeights(seed).Add("item_embedding.weight", 50, d).Add("session_start", d);
        switch (modelType)
        {
            case "hiertcn":
                r.Gru("high_gru", layers, d, hidden).Tcn(blocks, d + hidden, channels, kernel).Add("output.weight", d, channels).Add("output.bias", d);
                r.Add("user_start", layers, hidden);
                break;
            case "hiergru":
                r.Gru("high_gru", layers, d, hidden).Gru("low_gru", layers, d + hidden, hidden).Add("output.weight", d, hidden).Add("output.bias", d);
                r.Add("user_start", layers, hidden);
                break;
            case "hrnn":
                r.Gru("user_gru", layers, hidden + 4, hidden).Gru("session_gru", layers, d, hidden + 4).Add("session_init.weight", hidden + 4, hidden)
                    .Add("session_init.bias", hidden + 4).Add("output.weight", d, hidden + 4).Add("output.bias", d).Add("user_start", layers, hidden);
                break;
            case "gru":
                r.Gru("gru", layers, d + 1, hidden).Add("output.weight", d, hidden).Add("output.bias", d);
                break;
            case "tcn":
                r.Tcn(blocks, d + 1, channels, kernel).Add("output.weight", d, channels).Add("output.bias", d);
                break;
            default:
                throw new ArgumentException(modelType);
        }
        return r.Build();
    }
}
