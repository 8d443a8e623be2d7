using System.IO.Compression;
using System.Text;

namespace HierTcn.Data.Ingest.Internal;

/// <summary>Opens a delimited text file, plain or gzip, and works out its delimiter.</summary>
internal static class InputFile
{
    /// <summary>True when the file starts with the gzip magic bytes; an empty or one-byte file is not gzip.</summary>
    public static bool IsGzip(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        return f.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>Checks that <paramref name="path"/> exists and is not empty; throws <see cref="UserInputException"/>.</summary>
    public static void CheckReadable(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: {what} not found");
        }
        if (new FileInfo(path).Length == 0)
        {
            throw new UserInputException($"{path}: the file is empty (0 bytes); expected a header line and events");
        }
    }

    /// <summary>Wraps <paramref name="raw"/> in a decompressor when the file is gzip, then in a UTF-8 reader.</summary>
    public static TextReader OpenText(Stream raw, bool gzip) =>
        new StreamReader(gzip ? new GZipStream(raw, CompressionMode.Decompress) : raw, Encoding.UTF8,
            detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);

    /// <summary>The delimiter of the header line: tab or comma, whichever it holds more of; the extension
    /// (<c>.tsv</c>, <c>.tsv.gz</c> mean tab) decides when the header holds neither. Returns null for a file with no
    /// header line.</summary>
    public static (char Delimiter, string? Header) SniffDelimiter(string path, bool gzip)
    {
        string? header;
        try
        {
            using var reader = OpenText(File.OpenRead(path), gzip);
            header = ReadFirstLine(reader);
        }
        catch (InvalidDataException e)
        {
            throw new UserInputException($"{path}: corrupt or truncated gzip data in the first block ({e.Message})", e);
        }
        bool tsvName = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv.gz", StringComparison.OrdinalIgnoreCase);
        if (header is null)
        {
            return (tsvName ? '\t' : ',', null);
        }
        int tabs = header.Count(c => c == '\t');
        int commas = header.Count(c => c == ',');
        char delimiter = tabs > commas ? '\t' : commas > tabs ? ',' : tsvName ? '\t' : ',';
        return (delimiter, header);
    }

    private static string? ReadFirstLine(TextReader reader)
    {
        // Bounded so a file without line breaks cannot become one huge string.
        var sb = new StringBuilder();
        int c;
        while ((c = reader.Read()) >= 0 && sb.Length < 1 << 16)
        {
            if (c == '\n')
            {
                break;
            }
            sb.Append((char)c);
        }
        string line = sb.ToString().TrimEnd('\r');
        return c < 0 && line.Length == 0 ? null : line;
    }
}
