using System.Numerics.Tensors;

namespace HierTcn.Data.Synthetic.Internal;

/// <summary>Simulates one user at a time and writes each click as it happens, so memory does not grow with the
/// output. A user's stream depends only on the seed and the user id.</summary>
internal sealed class UserSimulator
{
    private const int Favourites = 3;
    private const double TasteWeight = 0.5;
    private const double TasteDrift = 0.3;
    private const long MinSessionGapMs = 1_860_000;      // over the protocol's 30 minutes, by a minute
    private const double MeanSessionGapMs = 18 * 3_600_000.0;
    private const long MinStepGapMs = 5_000;
    private const double MeanStepGapMs = 60_000;
    private const long MaxStepGapMs = 1_500_000;         // under 30 minutes: a session never splits
    private const long StartSpreadMs = 14L * 24 * 3_600_000;

    private readonly SyntheticOptions _o;
    private readonly ItemSpace _space;
    private readonly float[] _short;
    private readonly float[] _taste;
    private readonly int[] _favourite = new int[Favourites];
    private readonly double[] _weight = new double[Favourites];
    private readonly int[] _shown;
    private readonly double[] _score;

    public UserSimulator(SyntheticOptions options, ItemSpace space)
    {
        _o = options;
        _space = space;
        _short = new float[space.Dim];
        _taste = new float[space.Dim];
        _shown = new int[options.ImpressionsPerStep];
        _score = new double[options.ImpressionsPerStep];
    }

    public long Events { get; private set; }
    public long Sessions { get; private set; }
    public long ImpressionIds { get; private set; }

    public void Simulate(long user, CsvTextWriter w)
    {
        var rng = new Xoshiro256(SplitMix64.Hash(_o.Seed) ^ SplitMix64.Hash((ulong)user + 0x5EED));
        for (int k = 0; k < Favourites; k++)
        {
            _favourite[k] = rng.NextInt(_space.Topics);
            _weight[k] = 0.2 + 0.8 * rng.NextDouble();
        }
        RandomUnit(_taste, ref rng);
        long t = _o.StartTimeMs + (long)(rng.NextDouble() * StartSpreadMs);
        int sessions = rng.NextInt(_o.MinSessions, _o.MaxSessions);
        for (int s = 0; s < sessions; s++)
        {
            if (s > 0)
            {
                t += MinSessionGapMs + (long)rng.NextExponential(MeanSessionGapMs);
                Drift(ref rng);
            }
            int topic = PickFavourite(ref rng);
            StartInterest(topic);
            int length = rng.NextInt(_o.MinSessionLength, _o.MaxSessionLength);
            for (int step = 0; step < length; step++)
            {
                if (step > 0)
                {
                    t += Math.Min(MinStepGapMs + (long)rng.NextExponential(MeanStepGapMs), MaxStepGapMs);
                    if (rng.NextDouble() < _o.TopicSwitch)
                    {
                        topic = rng.NextDouble() < 0.6 ? PickFavourite(ref rng) : Neighbour(topic, ref rng);
                        StartInterest(topic);
                    }
                }
                Show(topic, t, ref rng);
                int click = Click(ref rng);
                Write(w, user, click, t);
                // Short-term interest moves toward what was just clicked.
                TensorPrimitives.Multiply(_short, (float)(1 - _o.ShortTermStep), _short);
                TensorPrimitives.MultiplyAdd(_space.Feature(click), (float)_o.ShortTermStep, _short, _short);
                ItemSpace.Normalize(_short);
            }
            Sessions++;
        }
    }

    /// <summary>Long-term interest moves a little between sessions: sometimes a favourite topic gives way to a
    /// neighbour, and the personal taste vector wanders.</summary>
    private void Drift(ref Xoshiro256 rng)
    {
        if (rng.NextDouble() < _o.TopicDrift)
        {
            int k = rng.NextInt(Favourites);
            _favourite[k] = Neighbour(_favourite[k], ref rng);
        }
        for (int j = 0; j < _taste.Length; j++)
        {
            _taste[j] += (float)(TasteDrift * (2 * rng.NextDouble() - 1) / Math.Sqrt(_taste.Length));
        }
        ItemSpace.Normalize(_taste);
    }

    private int PickFavourite(ref Xoshiro256 rng)
    {
        double total = _weight[0] + _weight[1] + _weight[2];
        double u = rng.NextDouble() * total;
        for (int k = 0; k < Favourites - 1; k++)
        {
            u -= _weight[k];
            if (u < 0)
            {
                return _favourite[k];
            }
        }
        return _favourite[Favourites - 1];
    }

    private int Neighbour(int topic, ref Xoshiro256 rng) =>
        (topic + (rng.NextDouble() < 0.5 ? 1 : _space.Topics - 1)) % _space.Topics;

    private void StartInterest(int topic)
    {
        _space.Centre(topic).CopyTo(_short);
        TensorPrimitives.MultiplyAdd(_taste, (float)TasteWeight, _short, _short);
        ItemSpace.Normalize(_short);
    }

    /// <summary>The shown items, among those published by <paramref name="timeMs"/>: 60% from the current topic (each
    /// slot one of the topic's fresh items with chance <see cref="SyntheticOptions.FreshShare"/> when it has one), 20%
    /// from favourite topics, the rest from anywhere; distinct, in random order.</summary>
    private void Show(int topic, long timeMs, ref Xoshiro256 rng)
    {
        int n = _shown.Length;
        int fromTopic = (int)Math.Round(0.6 * n);
        int fromFavourites = (int)Math.Round(0.2 * n);
        int bound = _space.PublishedBy(timeMs);
        // Fresh: new items published within the fresh window (none without new items, and then no draw is made).
        int freshFrom = Math.Max(_space.StartItems, _space.PublishedBy(timeMs - _space.FreshMs));
        bool fresh = _space.InTopicBelow(topic, bound) > _space.InTopicBelow(topic, freshFrom);
        for (int i = 0; i < n; i++)
        {
            int item;
            int tries = 0;
            do
            {
                // After a few repeats (a small topic already shown in full) any item will do.
                item = ++tries > 8 ? rng.NextInt(bound)
                    : i < fromTopic ? (fresh && rng.NextDouble() < _o.FreshShare
                        ? _space.RandomItemOfTopic(topic, freshFrom, bound, ref rng)
                        : _space.RandomItemOfTopic(topic, bound, ref rng))
                    : i < fromTopic + fromFavourites ? _space.RandomItemOfTopic(_favourite[rng.NextInt(Favourites)], bound, ref rng)
                    : rng.NextInt(bound);
            }
            while (Array.IndexOf(_shown, item, 0, i) >= 0);
            _shown[i] = item;
        }
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (_shown[i], _shown[j]) = (_shown[j], _shown[i]);
        }
    }

    /// <summary>Draws the clicked item by softmax over the shown items' scores.</summary>
    private int Click(ref Xoshiro256 rng)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < _shown.Length; i++)
        {
            int item = _shown[i];
            _score[i] = TensorPrimitives.Dot(_short, _space.Feature(item)) / _o.Temperature + _space.Bias[item];
            max = Math.Max(max, _score[i]);
        }
        double total = 0;
        for (int i = 0; i < _shown.Length; i++)
        {
            _score[i] = Math.Exp(_score[i] - max);
            total += _score[i];
        }
        double u = rng.NextDouble() * total;
        for (int i = 0; i < _shown.Length - 1; i++)
        {
            u -= _score[i];
            if (u < 0)
            {
                return _shown[i];
            }
        }
        return _shown[^1];
    }

    private void Write(CsvTextWriter w, long user, int click, long t)
    {
        w.Number(user);
        w.Char(',');
        w.Number(click);
        w.Char(',');
        w.Number(t);
        w.Char(',');
        for (int i = 0; i < _shown.Length; i++)
        {
            if (i > 0)
            {
                w.Char(' ');
            }
            w.Number(_shown[i]);
        }
        w.EndLine();
        Events++;
        ImpressionIds += _shown.Length;
    }

    private static void RandomUnit(Span<float> v, ref Xoshiro256 rng)
    {
        for (int j = 0; j < v.Length; j++)
        {
            v[j] = (float)rng.NextGaussian();
        }
        ItemSpace.Normalize(v);
    }
}
