using System.Security.Cryptography;
using System.Text;

namespace HierTcn.Security;

/// <summary>The tokens of one role, parsed from a file: one token a line, blank lines and lines starting with # ignored,
/// surrounding white space trimmed. Two lines (old and new) let a token be rotated with no refused call. Only
/// SHA-256 digests are kept, and <see cref="Contains"/> compares against every one in constant time.</summary>
public sealed class BearerTokens
{
    /// <summary>Shortest token accepted, characters: a guessable token is refused at load.</summary>
    public const int MinLength = 16;

    private readonly byte[][] _digests;

    private BearerTokens(byte[][] digests) => _digests = digests;

    /// <summary>How many tokens the file held.</summary>
    public int Count => _digests.Length;

    /// <summary>Parses a tokens file.</summary>
    /// <exception cref="InvalidDataException">A token is shorter than <see cref="MinLength"/> or holds white space.</exception>
    public static BearerTokens Parse(ReadOnlySpan<byte> utf8)
    {
        var digests = new List<byte[]>();
        int number = 0;
        foreach (var raw in Encoding.UTF8.GetString(utf8).Split('\n'))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (line.Length < MinLength)
                throw new InvalidDataException($"line {number}: a token of {line.Length} characters; at least {MinLength}");
            if (line.Any(char.IsWhiteSpace))
                throw new InvalidDataException($"line {number}: a token holds white space");
            digests.Add(SHA256.HashData(Encoding.UTF8.GetBytes(line)));
        }
        return new BearerTokens([.. digests]);
    }

    /// <summary>True when <paramref name="token"/> is one of the tokens. Takes the same time whichever token matches,
    /// or none.</summary>
    public bool Contains(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), digest);
        bool found = false;
        foreach (var known in _digests)
            found |= CryptographicOperations.FixedTimeEquals(known, digest);
        return found;
    }

    /// <summary>A short stable name of a token for logs, metrics and rate-limit partitions: "token:" and the first
    /// 8 hex digits of its SHA-256 (the token itself is never logged).</summary>
    public static string NameOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return "token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)), 0, 4);
    }
}
