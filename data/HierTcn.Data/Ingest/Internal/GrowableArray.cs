namespace HierTcn.Data.Ingest.Internal;

/// <summary>An append-only array of unmanaged values that doubles as it grows: ingest parses straight into these, so
/// a row costs its numbers and nothing else.</summary>
internal struct GrowableArray<T> where T : unmanaged
{
    private T[] _items;
    private int _count;

    public GrowableArray(int capacity)
    {
        _items = new T[Math.Max(capacity, 16)];
        _count = 0;
    }

    public readonly int Count => _count;

    public readonly Span<T> Span => _items.AsSpan(0, _count);

    public void Add(T value)
    {
        if (_count == _items.Length)
        {
            Grow();
        }
        _items[_count++] = value;
    }

    /// <summary>Drops the values from <paramref name="count"/> on (used to undo a half-parsed row).</summary>
    public void Truncate(int count) => _count = Math.Min(_count, count);

    /// <summary>The backing array (possibly longer than <see cref="Count"/>); ownership passes to the caller.</summary>
    public readonly T[] Buffer => _items;

    private void Grow()
    {
        long next = Math.Min((long)_items.Length * 2, Array.MaxLength);
        if (next <= _items.Length)
        {
            throw new InvalidOperationException($"more than {Array.MaxLength} values in one column");
        }
        Array.Resize(ref _items, (int)next);
    }
}
