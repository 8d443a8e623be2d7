using System.Globalization;

namespace HierTcn.Data.Experiments.Internal;

/// <summary>The sample lines of the Prometheus text exposition format: <c>name{label="value",...} value [timestamp]</c>;
/// comments and blank lines skipped. Label values may hold escaped quotes, backslashes and newlines.</summary>
internal static class PrometheusText
{
    public readonly record struct Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <exception cref="FormatException">A sample line that does not parse; the message quotes it.</exception>
    public static IEnumerable<Sample> Parse(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            yield return ParseLine(line);
        }
    }

    private static Sample ParseLine(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && !char.IsWhiteSpace(line[i]))
            i++;
        string name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && (line[i] == ',' || line[i] == ' '))
                    i++;
                if (i >= line.Length)
                    throw Bad(line);
                if (line[i] == '}')
                {
                    i++;
                    break;
                }
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                    throw Bad(line);
                string key = line[i..eq].Trim();
                var value = new System.Text.StringBuilder();
                i = eq + 2;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                    i++;
                }
                if (i >= line.Length)
                    throw Bad(line);
                i++;
                labels[key] = value.ToString();
            }
        }
        var rest = line[i..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (name.Length == 0 || rest.Length == 0 || !TryValue(rest[0], out double v))
            throw Bad(line);
        return new Sample(name, labels, v);
    }

    private static bool TryValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    private static FormatException Bad(string line) =>
        new($"not a Prometheus sample line: {(line.Length > 200 ? line[..200] + "..." : line)}");
}
