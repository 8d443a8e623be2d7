using System.Globalization;
using System.Text;

namespace HierTcn.LoadGen;

/// <summary>Per second of a paced phase (by each request's due time): how many answers came later than a threshold
/// and the slowest. Tells a tail made of a few stalls (a pause, a checkpoint) from one spread over the whole run, and
/// when the stalls happened, to line up with the server's log.</summary>
internal sealed class SlowSeconds(int seconds, double thresholdMicros)
{
    private readonly int[] _over = new int[seconds + 1];
    private readonly double[] _max = new double[seconds + 1];

    public void Add(double dueSeconds, double micros)
    {
        int s = Math.Clamp((int)dueSeconds, 0, _over.Length - 1);
        lock (_over)
        {
            if (micros > thresholdMicros)
                _over[s]++;
            _max[s] = Math.Max(_max[s], micros);
        }
    }

    /// <summary>"N of S seconds had answers over T ms: +s (UTC): count, max ms; ..." for the phase started at <paramref name="started"/>.</summary>
    public string Summary(DateTime started)
    {
        var text = new StringBuilder();
        int bad = 0;
        lock (_over)
        {
            for (int s = 0; s < _over.Length; s++)
            {
                if (_over[s] == 0)
                    continue;
                bad++;
                text.Append(CultureInfo.InvariantCulture, $"; +{s} s ({started.AddSeconds(s):HH:mm:ss}): {_over[s]} over, max {_max[s] / 1000:F1} ms");
            }
        }
        return $"{bad} of {_over.Length - 1} seconds had answers over {thresholdMicros / 1000:F0} ms{text}";
    }
}
