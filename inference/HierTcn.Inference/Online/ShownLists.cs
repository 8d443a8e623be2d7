using HierTcn.Formats;

namespace HierTcn.Inference.Online;

/// <summary>
/// The last list of items each user was shown, per process, in memory fixed at construction: <c>capacity</c> slots
/// in groups of four (a user's group is a hash of the user id); a new user takes an empty slot of its group or
/// overwrites the group's oldest list. A list is taken by the user's next event and then forgotten, but the slot
/// keeps the user id, so <see cref="Remember"/> can tell a user new to this process. Thread-safe (one lock per group
/// stripe); no allocation per call.
/// </summary>
public sealed class ShownLists
{
    private const int Ways = 4;
    private const int MaxStripes = 4096;

    private readonly int _groups;
    private readonly int _length;
    private readonly long[] _users;
    private readonly long[] _shownMs;
    private readonly string?[] _versions;
    private readonly byte[] _counts;
    private readonly long[] _items;
    private readonly object[] _stripes;

    /// <summary>Allocates <paramref name="capacity"/> slots (rounded up to a multiple of four) of
    /// <paramref name="listLength"/> items each.</summary>
    /// <exception cref="ArgumentOutOfRangeException">capacity below 1, or list length outside 1..255.</exception>
    public ShownLists(int capacity, int listLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(listLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(listLength, byte.MaxValue);
        _groups = (capacity + Ways - 1) / Ways;
        _length = listLength;
        int slots = _groups * Ways;
        _users = new long[slots];
        _shownMs = new long[slots];
        _versions = new string?[slots];
        _counts = new byte[slots];
        _items = new long[(long)slots * listLength];
        _stripes = new object[Math.Min(_groups, MaxStripes)];
        for (int i = 0; i < _stripes.Length; i++)
            _stripes[i] = new object();
    }

    /// <summary>Slots (users remembered at once).</summary>
    public int Capacity => _groups * Ways;

    /// <summary>Items kept per list.</summary>
    public int ListLength => _length;

    /// <summary>Remembers that <paramref name="userId"/> was shown <paramref name="items"/> (best first; only the
    /// first <see cref="ListLength"/> are kept) by <paramref name="version"/> at <paramref name="shownMs"/> (above
    /// 0), replacing the user's previous list. True when no slot held the user before (new to this process, or
    /// overwritten since).</summary>
    public bool Remember(long userId, string version, long shownMs, ReadOnlySpan<long> items)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shownMs, 1);
        int group = GroupOf(userId);
        lock (_stripes[group % _stripes.Length])
        {
            int first = group * Ways, slot = -1, oldest = first;
            bool isNew = true;
            for (int s = first; s < first + Ways; s++)
            {
                if (_shownMs[s] != 0 && _users[s] == userId)
                {
                    slot = s;
                    isNew = false;
                    break;
                }
                if (_shownMs[s] < _shownMs[oldest])
                    oldest = s;
            }
            if (slot < 0)
                slot = oldest;
            int count = Math.Min(items.Length, _length);
            _users[slot] = userId;
            _shownMs[slot] = shownMs;
            _versions[slot] = version;
            _counts[slot] = (byte)count;
            items[..count].CopyTo(_items.AsSpan((int)((long)slot * _length), count));
            return isNew;
        }
    }

    /// <summary>Takes the user's remembered list for an event on <paramref name="itemId"/> at
    /// <paramref name="eventMs"/>: <see cref="ShownOutcome.Matched"/> with the item's 1-based
    /// <paramref name="rank"/> in it (0 when absent) when the list was shown within <paramref name="gapMs"/> of the
    /// event; <see cref="ShownOutcome.Expired"/> when it was shown longer ago; <see cref="ShownOutcome.NoList"/>
    /// when none is remembered. A matched or expired list is forgotten. <paramref name="version"/> is the version
    /// that showed the list (null for <see cref="ShownOutcome.NoList"/>).</summary>
    public ShownOutcome Take(long userId, long eventMs, long itemId, long gapMs, out string? version, out int rank)
    {
        int group = GroupOf(userId);
        lock (_stripes[group % _stripes.Length])
        {
            int first = group * Ways;
            for (int s = first; s < first + Ways; s++)
            {
                if (_shownMs[s] == 0 || _users[s] != userId)
                    continue;
                int count = _counts[s];
                if (count == 0)
                    break;
                _counts[s] = 0;
                version = _versions[s];
                rank = 0;
                if (Math.Abs(eventMs - _shownMs[s]) > gapMs)
                    return ShownOutcome.Expired;
                int index = _items.AsSpan((int)((long)s * _length), count).IndexOf(itemId);
                rank = index + 1;
                return ShownOutcome.Matched;
            }
            version = null;
            rank = 0;
            return ShownOutcome.NoList;
        }
    }

    private int GroupOf(long userId) => (int)(StableHash.Mix64(unchecked((ulong)userId)) % (ulong)_groups);
}
