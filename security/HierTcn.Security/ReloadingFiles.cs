using System.Security.Cryptography;
using HierTcn.Security.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HierTcn.Security;

/// <summary>
/// A value parsed from one or more files and parsed again when their contents change, checked every interval: how a
/// Secret rotated in place (cert-manager renewing a certificate, a new token) reaches a running process without a
/// restart. Contents are compared, not timestamps, so the symlink swap Kubernetes uses for Secret volumes is seen. A
/// parse that fails (a file half-written, a key that does not match its certificate) keeps the previous value, is
/// logged, and is retried at the next check. Thread-safe: <see cref="Current"/> may be read from any thread.
/// </summary>
public sealed class ReloadingFiles<T> : IDisposable where T : class
{
    private readonly string[] _paths;
    private readonly Func<IReadOnlyList<byte[]>, T> _parse;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Timer? _timer;
    private byte[] _fingerprint;
    private volatile T _current;
    private long _generation;

    /// <summary>Reads and parses the files now; then every <paramref name="interval"/> (none when it is zero or
    /// negative) checks them again.</summary>
    /// <exception cref="InvalidDataException">A file cannot be read or parsed; the message names the files.</exception>
    public ReloadingFiles(IReadOnlyList<string> paths, Func<IReadOnlyList<byte[]>, T> parse, TimeSpan interval, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(parse);
        _paths = [.. paths];
        _parse = parse;
        _logger = logger ?? NullLogger.Instance;
        byte[][] contents;
        try
        {
            contents = Read();
            _current = parse(contents);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or FormatException
            or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"cannot load {Describe()}: {e.Message}", e);
        }
        _fingerprint = Fingerprint(contents);
        if (interval > TimeSpan.Zero)
            _timer = new Timer(_ => Refresh(), null, interval, interval);
    }

    /// <summary>The value parsed last.</summary>
    public T Current => _current;

    /// <summary>Incremented each time a changed file is parsed into a new <see cref="Current"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Reads the files now; parses them when their contents changed. Returns true when
    /// <see cref="Current"/> was replaced.</summary>
    public bool Refresh()
    {
        lock (_gate)
        {
            byte[][] contents;
            try
            {
                contents = Read();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                SecurityLog.ReloadFailed(_logger, Describe(), e.Message);
                return false;
            }
            byte[] fingerprint = Fingerprint(contents);
            if (fingerprint.AsSpan().SequenceEqual(_fingerprint))
                return false;
            try
            {
                _current = _parse(contents);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or InvalidDataException)
            {
                SecurityLog.ReloadFailed(_logger, Describe(), e.Message);
                return false;
            }
            _fingerprint = fingerprint;
            Interlocked.Increment(ref _generation);
            SecurityLog.Reloaded(_logger, Describe());
            return true;
        }
    }

    public void Dispose() => _timer?.Dispose();

    private byte[][] Read() => [.. _paths.Select(File.ReadAllBytes)];

    private string Describe() => string.Join(", ", _paths);

    private static byte[] Fingerprint(byte[][] contents)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var c in contents)
        {
            hash.AppendData(BitConverter.GetBytes(c.Length));
            hash.AppendData(c);
        }
        return hash.GetHashAndReset();
    }
}
