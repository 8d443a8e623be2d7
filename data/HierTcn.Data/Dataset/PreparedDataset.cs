using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;

namespace HierTcn.Data.Dataset;

/// <summary>
/// A prepared dataset, memory-mapped read-only. Arrays are handed out as spans over the mapping without copying.
/// Thread-safe for concurrent readers. Dispose releases the mapping; spans obtained before must not be used after.
/// </summary>
public sealed unsafe class PreparedDataset : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly Dictionary<string, (long Offset, long Count)> _sections = new(StringComparer.Ordinal);
    private bool _disposed;

    private PreparedDataset(string directory, DatasetHeader header, MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        Directory = directory;
        Header = header;
        _file = file;
        _view = view;
        _length = length;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    public string Directory { get; }
    public DatasetHeader Header { get; }

    public int ItemCount => ItemIds.Length;
    public int UserCount => UserIds.Length;
    public int SessionCount => SessionEvents.Length - 1;
    public int EventCount => EventItems.Length;
    public bool HasImpressions => _sections.ContainsKey(DatasetFile.ImpressionOffsets);
    /// <summary>Length of each item's feature vector; 0 when the dataset has no item features.</summary>
    public int ItemFeatureDim => _sections.ContainsKey(DatasetFile.ItemFeatures) ? Header.ItemFeatureDim : 0;

    public ReadOnlySpan<long> ItemIds => Section<long>(DatasetFile.ItemIds);
    public ReadOnlySpan<long> UserIds => Section<long>(DatasetFile.UserIds);
    public ReadOnlySpan<byte> UserSplit => Section<byte>(DatasetFile.UserSplit);
    public ReadOnlySpan<int> UserSessions => Section<int>(DatasetFile.UserSessions);
    public ReadOnlySpan<int> SessionEvents => Section<int>(DatasetFile.SessionEvents);
    public ReadOnlySpan<int> EventItems => Section<int>(DatasetFile.EventItems);
    public ReadOnlySpan<long> EventTimestamps => Section<long>(DatasetFile.EventTimestamps);
    public ReadOnlySpan<byte> EventSplit => Section<byte>(DatasetFile.EventSplit);
    public ReadOnlySpan<long> ImpressionOffsets => Section<long>(DatasetFile.ImpressionOffsets);
    public ReadOnlySpan<int> ImpressionItems => Section<int>(DatasetFile.ImpressionItems);
    /// <summary>N * <see cref="ItemFeatureDim"/> floats, row-major by dense item id; empty without features.</summary>
    public ReadOnlySpan<float> ItemFeatures => Section<float>(DatasetFile.ItemFeatures);

    /// <summary>The feature vector of dense item <paramref name="item"/> (empty without features).</summary>
    public ReadOnlySpan<float> ItemFeatureVector(int item)
    {
        int d = ItemFeatureDim;
        return d == 0 ? [] : ItemFeatures.Slice(item * d, d);
    }

    /// <summary>The user's events as [start, end) global event indices.</summary>
    public (int Start, int End) UserEvents(int user)
    {
        var us = UserSessions;
        var se = SessionEvents;
        return (se[us[user]], se[us[user + 1]]);
    }

    /// <summary>The user's sessions as [start, end) global session indices.</summary>
    public (int Start, int End) UserSessionRange(int user)
    {
        var us = UserSessions;
        return (us[user], us[user + 1]);
    }

    /// <summary>The items shown with event <paramref name="evt"/> (empty without impressions).</summary>
    public ReadOnlySpan<int> Impressions(int evt)
    {
        if (!HasImpressions)
        {
            return [];
        }
        var off = ImpressionOffsets;
        return ImpressionItems.Slice((int)off[evt], (int)(off[evt + 1] - off[evt]));
    }

    /// <summary>Per-event flags: 1 where the event opens a session. Computed from the session offsets.</summary>
    public byte[] SessionStartFlags()
    {
        var flags = new byte[EventCount];
        var se = SessionEvents;
        for (int s = 0; s < SessionCount; s++)
        {
            flags[se[s]] = 1;
        }
        return flags;
    }

    /// <summary>Opens the dataset in <paramref name="directory"/>: reads the header, maps the data file and checks its
    /// structure. Throws <see cref="InvalidDataException"/> naming the file and the problem when it is not a dataset.</summary>
    public static PreparedDataset Open(string directory)
    {
        string headerPath = Path.Combine(directory, DatasetHeader.FileName);
        if (!File.Exists(headerPath))
        {
            throw new InvalidDataException($"{headerPath}: not found; is '{directory}' a prepared dataset (./hiertcn prepare)?");
        }
        DatasetHeader header;
        try
        {
            header = JsonSerializer.Deserialize<DatasetHeader>(File.ReadAllBytes(headerPath))
                ?? throw new InvalidDataException($"{headerPath}: empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{headerPath}: not valid JSON ({e.Message})", e);
        }
        if (header.Format != DatasetHeader.CurrentFormat || header.FormatVersion != DatasetHeader.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"{headerPath}: format '{header.Format}' v{header.FormatVersion}, expected '{DatasetHeader.CurrentFormat}' v{DatasetHeader.CurrentFormatVersion}");
        }
        string dataPath = Path.Combine(directory, header.DataFile);
        if (!File.Exists(dataPath))
        {
            throw new InvalidDataException($"{dataPath}: not found");
        }
        long length = new FileInfo(dataPath).Length;
        if (length < DatasetFile.PreambleSize)
        {
            throw new InvalidDataException($"{dataPath}: truncated ({length} bytes)");
        }
        var file = MemoryMappedFile.CreateFromFile(dataPath, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var ds = new PreparedDataset(directory, header, file, view, length);
        try
        {
            ds.ReadTable(dataPath);
            ds.Validate(dataPath);
        }
        catch
        {
            ds.Dispose();
            throw;
        }
        return ds;
    }

    private void ReadTable(string path)
    {
        var pre = new ReadOnlySpan<byte>(_base, DatasetFile.PreambleSize);
        if (!pre[..8].SequenceEqual(DatasetFile.Magic))
        {
            throw new InvalidDataException($"{path}: bad magic, not a hiertcn dataset file");
        }
        int version = BitConverter.ToInt32(pre[8..]);
        int count = BitConverter.ToInt32(pre[12..]);
        if (version != DatasetFile.FormatVersion)
        {
            throw new InvalidDataException($"{path}: format version {version}, expected {DatasetFile.FormatVersion}");
        }
        if (count < 0 || DatasetFile.PreambleSize + (long)count * DatasetFile.EntrySize > _length)
        {
            throw new InvalidDataException($"{path}: section table is truncated");
        }
        for (int i = 0; i < count; i++)
        {
            var e = new ReadOnlySpan<byte>(_base + DatasetFile.PreambleSize + (long)i * DatasetFile.EntrySize, DatasetFile.EntrySize);
            string name = Encoding.ASCII.GetString(e[..DatasetFile.NameSize]).TrimEnd('\0');
            long offset = BitConverter.ToInt64(e[16..]);
            long n = BitConverter.ToInt64(e[24..]);
            long bytes = n * ElementSize(name, path);
            if (offset < 0 || n < 0 || offset % DatasetFile.Alignment != 0 || offset + bytes > _length)
            {
                throw new InvalidDataException($"{path}: section '{name}' lies outside the file (offset {offset}, {n} elements, file {_length} bytes)");
            }
            _sections[name] = (offset, n);
        }
    }

    private static int ElementSize(string name, string path) => name switch
    {
        DatasetFile.ItemIds or DatasetFile.UserIds or DatasetFile.EventTimestamps or DatasetFile.ImpressionOffsets => 8,
        DatasetFile.UserSessions or DatasetFile.SessionEvents or DatasetFile.EventItems or DatasetFile.ImpressionItems
            or DatasetFile.ItemFeatures => 4,
        DatasetFile.UserSplit or DatasetFile.EventSplit => 1,
        _ => throw new InvalidDataException($"{path}: unknown section '{name}'"),
    };

    private void Validate(string path)
    {
        string[] required =
        [
            DatasetFile.ItemIds, DatasetFile.UserIds, DatasetFile.UserSplit, DatasetFile.UserSessions,
            DatasetFile.SessionEvents, DatasetFile.EventItems, DatasetFile.EventTimestamps, DatasetFile.EventSplit,
        ];
        foreach (string name in required)
        {
            if (!_sections.ContainsKey(name))
            {
                throw new InvalidDataException($"{path}: section '{name}' is missing");
            }
        }
        int users = UserIds.Length;
        int events = EventItems.Length;
        void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidDataException($"{path}: {what}");
            }
        }
        Check(UserSplit.Length == users, "user_split length differs from user_ids");
        Check(UserSessions.Length == users + 1, "user_sessions must have users + 1 entries");
        Check(SessionEvents.Length >= 1, "session_events is empty");
        Check(EventTimestamps.Length == events && EventSplit.Length == events, "event arrays differ in length");
        Check(UserSessions[0] == 0 && UserSessions[users] == SessionCount, "user_sessions does not cover the sessions");
        Check(SessionEvents[0] == 0 && SessionEvents[SessionCount] == events, "session_events does not cover the events");
        Check(ItemIds.Length == Header.Counts.Items, $"{ItemIds.Length} items in the data file, header says {Header.Counts.Items}");
        Check(events == Header.Counts.Events, $"{events} events in the data file, header says {Header.Counts.Events}");
        int n = ItemIds.Length;
        foreach (int item in EventItems)
        {
            if ((uint)item >= (uint)n)
            {
                throw new InvalidDataException($"{path}: event item id {item} outside the catalogue of {n}");
            }
        }
        if (HasImpressions)
        {
            Check(ImpressionOffsets.Length == events + 1, "imp_offsets must have events + 1 entries");
            Check(ImpressionOffsets[events] == ImpressionItems.Length, "imp_offsets does not cover imp_items");
        }
        if (_sections.TryGetValue(DatasetFile.ItemFeatures, out var features))
        {
            Check(Header.ItemFeatureDim > 0 && features.Count == (long)n * Header.ItemFeatureDim,
                $"item_features holds {features.Count} floats, expected {n} items x item_feature_dim {Header.ItemFeatureDim}");
        }
    }

    private ReadOnlySpan<T> Section<T>(string name) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_sections.TryGetValue(name, out var s))
        {
            return [];
        }
        return new ReadOnlySpan<T>(_base + s.Offset, checked((int)s.Count));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
