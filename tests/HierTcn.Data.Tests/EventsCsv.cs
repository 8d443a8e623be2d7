using System.Text;

namespace HierTcn.Data.Tests;

/// <summary>Builds small event files by hand for protocol edge cases.</summary>
internal sealed class EventsCsv
{
    public const long T0 = 1_600_000_000_000;
    private readonly StringBuilder _sb = new("user_id,item_id,timestamp_ms\n");

    public int Rows { get; private set; }

    public EventsCsv Add(long user, long item, long ts)
    {
        _sb.Append(user).Append(',').Append(item).Append(',').Append(ts).Append('\n');
        Rows++;
        return this;
    }

    /// <summary><paramref name="count"/> events of <paramref name="user"/> on <paramref name="item"/>, a minute apart from
    /// <paramref name="start"/>.</summary>
    public EventsCsv Many(long user, long item, int count, long start = T0)
    {
        for (int i = 0; i < count; i++)
        {
            Add(user, item, start + i * 60_000L);
        }
        return this;
    }

    public override string ToString() => _sb.ToString();
}
