namespace HierTcn.Data.Ingest;

/// <summary>
/// The valid events of a file, column by column, in input order (the index is the input order). Numbers only: ingest
/// never holds a string per row. Impressions, when read, are external item ids: event <c>i</c> shows
/// <c>ImpressionItems[ImpressionOffsets[i]..ImpressionOffsets[i + 1]]</c>.
/// </summary>
public sealed class EventTable
{
    private readonly long[] _users;
    private readonly long[] _items;
    private readonly long[] _timestamps;
    private readonly long[]? _impressionOffsets;
    private readonly long[]? _impressionItems;
    private readonly long _impressionCount;

    internal EventTable(int count, long[] users, long[] items, long[] timestamps,
        long[]? impressionOffsets, long[]? impressionItems, long impressionCount, Dataset.IngestSummary summary)
    {
        Count = count;
        _users = users;
        _items = items;
        _timestamps = timestamps;
        _impressionOffsets = impressionOffsets;
        _impressionItems = impressionItems;
        _impressionCount = impressionCount;
        Summary = summary;
    }

    /// <summary>Builds a table from arrays (tests, generators); the arrays are used, not copied.</summary>
    public static EventTable FromArrays(long[] users, long[] items, long[] timestamps,
        long[]? impressionOffsets = null, long[]? impressionItems = null)
    {
        if (users.Length != items.Length || users.Length != timestamps.Length)
        {
            throw new ArgumentException("users, items and timestamps differ in length");
        }
        if ((impressionOffsets is null) != (impressionItems is null)
            || (impressionOffsets is not null && impressionOffsets.Length != users.Length + 1))
        {
            throw new ArgumentException("impressions need both arrays and events + 1 offsets");
        }
        var summary = new Dataset.IngestSummary { RowsRead = users.Length, RowsKept = users.Length };
        return new EventTable(users.Length, users, items, timestamps, impressionOffsets, impressionItems,
            impressionItems?.LongLength ?? 0, summary);
    }

    public int Count { get; }
    public ReadOnlySpan<long> Users => _users.AsSpan(0, Count);
    public ReadOnlySpan<long> Items => _items.AsSpan(0, Count);
    public ReadOnlySpan<long> Timestamps => _timestamps.AsSpan(0, Count);
    public bool HasImpressions => _impressionOffsets is not null;

    /// <summary>The external ids shown with event <paramref name="index"/> (empty without impressions).</summary>
    public ReadOnlySpan<long> Impressions(int index)
    {
        if (_impressionOffsets is null || _impressionItems is null)
        {
            return [];
        }
        long start = _impressionOffsets[index];
        return _impressionItems.AsSpan((int)start, (int)(_impressionOffsets[index + 1] - start));
    }

    internal long[] UserArray => _users;
    internal long[] TimestampArray => _timestamps;

    /// <summary>Total impression ids over all events.</summary>
    public long ImpressionCount => _impressionCount;

    /// <summary>What ingest read, kept and skipped.</summary>
    public Dataset.IngestSummary Summary { get; }

    /// <summary>sha256 (lower-case hex) of the file's bytes as stored; empty for a table built from arrays.</summary>
    public string InputSha256 { get; init; } = "";
}
