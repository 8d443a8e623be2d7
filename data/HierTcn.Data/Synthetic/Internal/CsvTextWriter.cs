using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace HierTcn.Data.Synthetic.Internal;

/// <summary>Writes gzip CSV through a char buffer, numbers formatted in place: no string per value. Writes to a
/// temporary file that <see cref="Commit"/> renames into place.</summary>
internal sealed class CsvTextWriter : IDisposable
{
    private readonly string _path;
    private readonly string _tmp;
    private readonly StreamWriter _writer;
    private readonly char[] _line = new char[1 << 16];
    private int _pos;
    private bool _committed;

    public CsvTextWriter(string path)
    {
        _path = path;
        _tmp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var file = new FileStream(_tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        // Fastest keeps compression off the critical path at 50M rows; the output is still deterministic.
        _writer = new StreamWriter(new GZipStream(file, CompressionLevel.Fastest), new UTF8Encoding(false), 1 << 16);
    }

    /// <summary>Characters (ASCII, so bytes) written so far.</summary>
    public long TextBytes { get; private set; }

    public void Text(string s)
    {
        Reserve(s.Length);
        s.CopyTo(_line.AsSpan(_pos));
        _pos += s.Length;
    }

    public void Char(char c)
    {
        Reserve(1);
        _line[_pos++] = c;
    }

    public void Number(long v)
    {
        Reserve(20);
        v.TryFormat(_line.AsSpan(_pos), out int n, default, CultureInfo.InvariantCulture);
        _pos += n;
    }

    /// <summary>Shortest text that reads back as the same float.</summary>
    public void Number(float v)
    {
        Reserve(32);
        v.TryFormat(_line.AsSpan(_pos), out int n, "R", CultureInfo.InvariantCulture);
        _pos += n;
    }

    public void EndLine()
    {
        Char('\n');
        if (_pos > _line.Length - 4096)
        {
            Flush();
        }
    }

    /// <summary>Flushes, closes and renames the file into place.</summary>
    public void Commit()
    {
        Flush();
        _writer.Dispose();
        File.Move(_tmp, _path, overwrite: true);
        _committed = true;
    }

    private void Reserve(int n)
    {
        if (_pos + n > _line.Length)
        {
            Flush();
        }
    }

    private void Flush()
    {
        _writer.Write(_line, 0, _pos);
        TextBytes += _pos;
        _pos = 0;
    }

    public void Dispose()
    {
        if (!_committed)
        {
            _writer.Dispose();
            File.Delete(_tmp);
        }
    }
}
